-- title: Commitment discount utilization
-- description: Per commitment discount, the effective cost of its used and unused portions and the share used.
SELECT CommitmentDiscountId,
       SUM(CASE WHEN CommitmentDiscountStatus = 'Used' THEN EffectiveCost ELSE 0 END) AS used_cost,
       SUM(CASE WHEN CommitmentDiscountStatus = 'Unused' THEN EffectiveCost ELSE 0 END) AS unused_cost,
       ROUND(SUM(CASE WHEN CommitmentDiscountStatus = 'Used' THEN EffectiveCost ELSE 0 END)
             / NULLIF(SUM(EffectiveCost), 0), 4) AS utilization
FROM CostAndUsage
WHERE ChargeCategory = 'Usage' AND CommitmentDiscountId IS NOT NULL
GROUP BY CommitmentDiscountId
ORDER BY CommitmentDiscountId
