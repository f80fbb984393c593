-- title: Invoice totals
-- description: Billed cost per InvoiceId and BillingCurrency, to compare with the invoices.
SELECT InvoiceId, BillingCurrency, COUNT(*) AS charges, SUM(BilledCost) AS billed_cost
FROM CostAndUsage
GROUP BY InvoiceId, BillingCurrency
ORDER BY InvoiceId, BillingCurrency
