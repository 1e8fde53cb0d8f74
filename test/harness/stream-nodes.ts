/** Stream nodes for tests of what a save writes (engine/types/stream-node.ts). */
import { Stream } from '../../engine/types/stream.js';
import { StreamNode } from '../../engine/types/stream-node.js';

/**
 * A copy of `s` (Stream.clone: its counters and groups) whose nodes are decoded and keep
 * no RDB bytes (a node's own clone shares them): a save of it converts and compresses
 * every node afresh.
 */
export function unsealedCopy(s: Stream): Stream {
  const copy = s.clone();
  copy.adoptNodes(
    s.view().nodes.map((node) => {
      const parts = node.parts();
      return StreamNode.fromParts({ ...parts, meta: parts.meta.slice() });
    }),
  );
  return copy;
}
