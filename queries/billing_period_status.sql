-- title: Billing period status
-- description: FOCUS 1.4 bundle: each billing period of the Billing Period dataset with its status and when it last changed, and the charges and billed cost the Cost and Usage dataset holds for it (give the bundle folder, or --table BillingPeriod=PATH).
-- focus: 1.4
-- tables: BillingPeriod
WITH charged AS (
  SELECT InvoiceIssuerName, BillingPeriodStart, BillingPeriodEnd,
         COUNT(*) AS charges, SUM(BilledCost) AS billed_cost
  FROM CostAndUsage
  GROUP BY InvoiceIssuerName, BillingPeriodStart, BillingPeriodEnd
)
SELECT COALESCE(p.InvoiceIssuerName, c.InvoiceIssuerName) AS InvoiceIssuerName,
       COALESCE(p.BillingPeriodStart, c.BillingPeriodStart) AS BillingPeriodStart,
       COALESCE(p.BillingPeriodEnd, c.BillingPeriodEnd) AS BillingPeriodEnd,
       COALESCE(p.BillingPeriodStatus, '(no Billing Period record)') AS BillingPeriodStatus,
       p.BillingPeriodLastUpdated,
       COALESCE(c.charges, 0) AS charges,
       c.billed_cost
FROM BillingPeriod p
FULL JOIN charged c
  ON c.InvoiceIssuerName = p.InvoiceIssuerName AND c.BillingPeriodStart = p.BillingPeriodStart
 AND c.BillingPeriodEnd = p.BillingPeriodEnd
ORDER BY InvoiceIssuerName, BillingPeriodStart
