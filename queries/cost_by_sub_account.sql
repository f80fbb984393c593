-- title: Cost by sub account
-- description: Effective cost per SubAccountId and SubAccountName (NULL: charges not tied to a sub account).
SELECT SubAccountId, SubAccountName, SUM(EffectiveCost) AS effective_cost
FROM CostAndUsage
GROUP BY SubAccountId, SubAccountName
ORDER BY effective_cost DESC, SubAccountId
