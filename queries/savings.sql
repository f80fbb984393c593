-- title: Savings
-- description: List, contracted and effective cost per ServiceName, with the savings against list price.
SELECT ServiceName,
       SUM(ListCost) AS list_cost,
       SUM(ContractedCost) AS contracted_cost,
       SUM(EffectiveCost) AS effective_cost,
       SUM(ListCost) - SUM(EffectiveCost) AS savings
FROM CostAndUsage
WHERE ChargeCategory IN ('Usage', 'Purchase')
GROUP BY ServiceName
ORDER BY savings DESC, ServiceName
