/**
 * Immediate dominators of a directed graph given by successor lists, node 0 the
 * entry. Iterative algorithm of Cooper, Harvey and Kennedy ("A Simple, Fast
 * Dominance Algorithm"): fast on the shallow, wide graphs closures are. Nodes not
 * reachable from the entry get -1; the entry is its own dominator.
 */
export function immediateDominators(successors: readonly (readonly number[])[]): Int32Array {
  const count = successors.length;
  const postorder = postorderFrom(successors);
  const orderOf = new Int32Array(count).fill(-1);
  postorder.forEach((node, index) => (orderOf[node] = index));

  const predecessors: number[][] = Array.from({ length: count }, () => []);
  successors.forEach((targets, from) => {
    if (orderOf[from] === -1) return;
    for (const to of targets) predecessors[to]!.push(from);
  });

  const idom = new Int32Array(count).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (orderOf[a]! < orderOf[b]!) a = idom[a]!;
      while (orderOf[b]! < orderOf[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    // Reverse postorder, skipping the entry (last in postorder).
    for (let i = postorder.length - 2; i >= 0; i--) {
      const node = postorder[i]!;
      let candidate = -1;
      for (const pred of predecessors[node]!) {
        if (idom[pred] === -1) continue;
        candidate = candidate === -1 ? pred : intersect(pred, candidate);
      }
      if (candidate !== -1 && idom[node] !== candidate) {
        idom[node] = candidate;
        changed = true;
      }
    }
  }
  return idom;
}

/** Depth-first postorder from node 0, iterative so deep closures cannot overflow the stack. */
function postorderFrom(successors: readonly (readonly number[])[]): number[] {
  const visited = new Uint8Array(successors.length);
  const order: number[] = [];
  const stack: Array<[node: number, next: number]> = [[0, 0]];
  visited[0] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const targets = successors[top[0]]!;
    if (top[1] < targets.length) {
      const next = targets[top[1]++]!;
      if (!visited[next]) {
        visited[next] = 1;
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}
