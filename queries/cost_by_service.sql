-- title: Cost by service
-- description: Billed and effective cost per ServiceCategory and ServiceName, largest first.
-- param: limit = 20
SELECT ServiceCategory, ServiceName,
       SUM(BilledCost) AS billed_cost,
       SUM(EffectiveCost) AS effective_cost
FROM CostAndUsage
GROUP BY ServiceCategory, ServiceName
ORDER BY effective_cost DESC, ServiceName
LIMIT {{limit}}
