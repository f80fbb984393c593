-- title: Charges by category and class
-- description: Row count and billed cost per ChargeCategory and ChargeClass (corrections show as "Correction").
SELECT ChargeCategory, ChargeClass, COUNT(*) AS charges, SUM(BilledCost) AS billed_cost
FROM CostAndUsage
GROUP BY ChargeCategory, ChargeClass
ORDER BY ChargeCategory, ChargeClass
