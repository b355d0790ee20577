// The incident the end-to-end tests triage: billing-api with a pool of 4, filled by 3 leaked
// transactions (/transfer) and 1 leaked rows (/export), with 3 callers of /orders parked waiting
// for a connection. Abort the parked requests before stopping the service.
import { leaks, startGoService, type GoService, type ParkedRequest } from '../../lib/demo/run-goservice.ts';

export async function startLeakingBillingApi(dsn: string): Promise<{ svc: GoService; parked: ParkedRequest[] }> {
  const svc = await startGoService({ dsn, maxOpen: 4 }); // 3 leaked tx + 1 leaked rows fill it
  for (let i = 0; i < 3; i++) await leaks.transfer(svc);
  await leaks.export(svc);
  const parked: ParkedRequest[] = [];
  for (let i = 0; i < 3; i++) parked.push(leaks.parkOrders(svc, `customer-${i}`));
  await svc.waitFor('callers parked', async () => (await svc.stats()).waitCount >= 3);
  return { svc, parked };
}
