-- title: Cost by tag value
-- description: Effective cost per value of one tag key (rows without the key are "(untagged)").
-- param: key = env
SELECT COALESCE(focus_json_get_str(Tags, {{key}}), '(untagged)') AS tag_value,
       SUM(EffectiveCost) AS effective_cost
FROM CostAndUsage
GROUP BY 1
ORDER BY effective_cost DESC, tag_value
