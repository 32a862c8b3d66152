/** A filtered-stream rule as X returns it. */
export interface StreamRule {
  id: string;
  value: string;
  tag?: string;
}

/** A rule we want; its tag comes back in each matching post's `matching_rules` and lands in `rule_tags`. */
export interface WantedRule {
  value: string;
  tag: string;
}

export interface RuleChanges {
  add: WantedRule[];
  delete: StreamRule[];
  keep: StreamRule[];
}

/** One rule per tracked term, tagged with the term itself. */
export function wantedRules(track: readonly string[]): WantedRule[] {
  return track.map((term) => ({ value: term, tag: term }));
}

/**
 * What to change so the stream has exactly the wanted rules: add the missing ones, delete the ones no
 * longer wanted, keep the rest. A rule whose value matches but whose tag differs is replaced, since X
 * rejects two rules with the same value and the tag is what marks the stored posts.
 */
export function diffRules(existing: readonly StreamRule[], wanted: readonly WantedRule[]): RuleChanges {
  const same = (rule: StreamRule, want: WantedRule) => rule.value === want.value && rule.tag === want.tag;
  return {
    add: wanted.filter((want) => !existing.some((rule) => same(rule, want))),
    delete: existing.filter((rule) => !wanted.some((want) => same(rule, want))),
    keep: existing.filter((rule) => wanted.some((want) => same(rule, want))),
  };
}
