-- title: Contract commitment burn-down
-- description: FOCUS 1.3: per contract commitment, its cost, what charges applied to it (ContractApplied elements) and what remains. Give the Contract Commitment dataset with --table ContractCommitment=PATH.
-- focus: 1.3
-- tables: ContractCommitment
WITH applied AS (
  SELECT focus_json_get_str(e, 'ContractCommitmentId') AS ContractCommitmentId,
         CAST(focus_json_get_str(e, 'ContractCommitmentAppliedCost') AS DECIMAL(38, 12)) AS applied_cost
  FROM (SELECT unnest(focus_json_elements(ContractApplied, '$.Elements[*]')) AS e FROM CostAndUsage)
)
SELECT c.ContractId,
       c.ContractCommitmentId,
       c.ContractCommitmentCategory,
       c.ContractCommitmentCost,
       COALESCE(SUM(a.applied_cost), 0) AS applied_cost,
       c.ContractCommitmentCost - COALESCE(SUM(a.applied_cost), 0) AS remaining_cost
FROM ContractCommitment c
LEFT JOIN applied a ON a.ContractCommitmentId = c.ContractCommitmentId
GROUP BY c.ContractId, c.ContractCommitmentId, c.ContractCommitmentCategory, c.ContractCommitmentCost
ORDER BY c.ContractId, c.ContractCommitmentId
