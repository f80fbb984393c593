-- title: Daily cost trend
-- description: Effective cost per day of ChargePeriodStart (UTC).
SELECT date_trunc('day', ChargePeriodStart) AS day, SUM(EffectiveCost) AS effective_cost
FROM CostAndUsage
GROUP BY 1
ORDER BY 1
