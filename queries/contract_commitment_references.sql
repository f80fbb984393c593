-- title: Contract commitments referenced by charges
-- description: FOCUS 1.4 bundle: each contract commitment named in the charges' ContractApplied elements, with how many elements name it and the cost they apply, and whether the Contract Commitment dataset lists it (listed = false first: a reference the bundle cannot resolve, which no FOCUS requirement states, so validate does not count it). Give the bundle folder, or --table ContractCommitment=PATH.
-- focus: 1.4
-- tables: ContractCommitment
WITH applied AS (
  SELECT focus_json_get_str(e, 'ContractId') AS ContractId,
         focus_json_get_str(e, 'ContractCommitmentId') AS ContractCommitmentId,
         CAST(focus_json_get_str(e, 'ContractCommitmentAppliedCost') AS DECIMAL(38, 12)) AS applied_cost
  FROM (SELECT unnest(focus_json_elements(ContractApplied, '$.Elements[*]')) AS e FROM CostAndUsage)
),
referenced AS (
  SELECT ContractId, ContractCommitmentId, COUNT(*) AS elements, SUM(applied_cost) AS applied_cost
  FROM applied
  WHERE ContractCommitmentId IS NOT NULL
  GROUP BY ContractId, ContractCommitmentId
),
listed AS (
  SELECT ContractCommitmentId, MIN(ContractId) AS ContractId
  FROM ContractCommitment
  GROUP BY ContractCommitmentId
)
SELECT r.ContractId,
       r.ContractCommitmentId,
       r.elements,
       r.applied_cost,
       l.ContractCommitmentId IS NOT NULL AS listed,
       l.ContractId AS listed_under_contract
FROM referenced r
LEFT JOIN listed l ON l.ContractCommitmentId = r.ContractCommitmentId
ORDER BY listed, r.ContractId, r.ContractCommitmentId
