import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";

/**
 * An S3 client, without the SDK's multi-line NodeVersionSupportWarning on stderr (it
 * breaks the server's one-JSON-object-per-line log). The warning is about SDK
 * releases after January 2027 needing Node 22; package-lock.json pins a release that
 * supports the Node 20 this project targets. An operator's explicit setting wins.
 */
export function makeS3Client(config: S3ClientConfig): S3Client {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return new S3Client(config);
}
