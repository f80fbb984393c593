-- title: Untagged cost
-- description: Effective cost of rows with no tags at all, per ServiceName, and its share of all cost.
SELECT ServiceName,
       SUM(CASE WHEN Tags IS NULL OR cardinality(focus_json_keys(Tags)) = 0 THEN EffectiveCost ELSE 0 END) AS untagged_cost,
       SUM(EffectiveCost) AS effective_cost
FROM CostAndUsage
GROUP BY ServiceName
ORDER BY untagged_cost DESC, ServiceName
