/** Row keys sort as strings, so numbers are zero-padded to a fixed width. */
export const versionKey = (version: number): string => String(version).padStart(10, '0');
export const seqKey = (seq: number): string => String(seq).padStart(12, '0');


/** Characters Azure Table forbids in keys, and control characters. */
const forbidden = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

/** Stream ids become partition keys; refuse what Azure would refuse or misread. */
export function assertStreamId(stream: string): void {
  if (stream.length === 0 || stream.length > 256) throw new RangeError('a stream id must be 1-256 characters');
  if (forbidden.test(stream)) throw new RangeError(`stream id ${JSON.stringify(stream)} has a character Azure Table keys cannot hold (/ \\ # ? or a control character)`);
}
