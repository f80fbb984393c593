-- title: Cost by region
-- description: Effective cost per RegionId and RegionName.
SELECT RegionId, RegionName, SUM(EffectiveCost) AS effective_cost
FROM CostAndUsage
GROUP BY RegionId, RegionName
ORDER BY effective_cost DESC, RegionId
