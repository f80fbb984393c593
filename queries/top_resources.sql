-- title: Top resources by cost
-- description: The resources with the highest effective cost.
-- param: limit = 10
SELECT ResourceId, ResourceName, ResourceType, SUM(EffectiveCost) AS effective_cost
FROM CostAndUsage
WHERE ResourceId IS NOT NULL
GROUP BY ResourceId, ResourceName, ResourceType
ORDER BY effective_cost DESC, ResourceId
LIMIT {{limit}}
