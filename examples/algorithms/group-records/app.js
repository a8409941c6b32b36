// group-records: groups JSON records by a key, with counts and sums.
//
// Input (JSON): { "records": [ {...}, ... ], "by": "field", "sum": ["f", ...] }
// Output (JSON): { "groups": [ { "key": k, "count": n, "sums": { f: total } } ],
//                  "records": total } — groups in order of first appearance.
// A record without the `by` field is grouped under null; a `sum` field that
// is missing counts 0, one that is not a number is an InputError.

import { AlgorithmError, exportFunction } from '@algobox/guest-sdk';

function groupRecords({ records, by, sum = [] }) {
  if (!Array.isArray(records)) {
    throw new AlgorithmError('`records` must be an array of objects', { code: 'InputError' });
  }
  if (typeof by !== 'string') {
    throw new AlgorithmError('`by` must name the field to group by', { code: 'InputError' });
  }
  const groups = new Map();
  records.forEach((record, index) => {
    const key = record?.[by] ?? null;
    const id = JSON.stringify(key);
    let group = groups.get(id);
    if (!group) {
      group = { key, count: 0, sums: Object.fromEntries(sum.map((field) => [field, 0])) };
      groups.set(id, group);
    }
    group.count += 1;
    for (const field of sum) {
      const value = record?.[field] ?? 0;
      if (typeof value !== 'number') {
        throw new AlgorithmError(`record ${index}: \`${field}\` is not a number`, { code: 'InputError' });
      }
      group.sums[field] += value;
    }
  });
  return { groups: [...groups.values()], records: records.length };
}

export const lifecycle = exportFunction(groupRecords, { input: 'json' });
