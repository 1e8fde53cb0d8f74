/** Stream nodes for tests of what a save writes (engine/types/stream-node.ts). */
import { Stream } from '../../engine/types/stream.js';
import { StreamNode } from '../../engine/types/stream-node.js';

/**
 * A copy of `s` whose nodes are decoded and keep no RDB bytes (a copy made by `clone`
 * shares them): a save of it converts and compresses every node afresh. The groups are
 * shared, not copied.
 */
export function unsealedCopy(s: Stream): Stream {
  const copy = new Stream();
  copy.adoptNodes(
    s.view().nodes.map((node) => {
      const parts = node.parts();
      return StreamNode.fromParts({ ...parts, meta: parts.meta.slice() });
    }),
  );
  copy.length = s.length;
  copy.lastId = s.lastId;
  copy.firstId = s.firstId;
  copy.maxDeletedId = s.maxDeletedId;
  copy.entriesAdded = s.entriesAdded;
  copy.groups = s.groups;
  return copy;
}
