export { type BuildEvent, type BuildEventListener } from "./events.js";
