// The scheduler API frameworks call: subscribe, and answer inverse offers (Mesos v1 call shapes).
import { Router } from 'express';
import { ErrorCode, MaintError } from '../../domain/errors';
import type { FrameworkService } from '../../service/frameworks';
import { methodNotAllowed } from '../errors';
import { SchedulerCallSchema } from './schemas';

export function schedulerRoutes(frameworks: FrameworkService): Router {
  const router = Router();
  router.route('/scheduler').post(async (req, res) => {
    const call = SchedulerCallSchema.parse(req.body);
    switch (call.type) {
      case 'SUBSCRIBE': {
        const info = call.subscribe.framework_info;
        const frameworkId = info.id?.value ?? call.framework_id?.value;
        if (!frameworkId) {
          throw new MaintError(ErrorCode.INVALID, 'subscribe.framework_info.id: a framework id is required', 'subscribe.framework_info.id');
        }
        await frameworks.subscribe({
          frameworkId,
          name: info.name,
          ...(info.principal === undefined ? {} : { principal: info.principal }),
          ...(call.subscribe.webhook ? { webhookUrl: call.subscribe.webhook.url } : {}),
        });
        res.json({ type: 'SUBSCRIBED', subscribed: { framework_id: { value: frameworkId } } });
        return;
      }
      case 'ACCEPT_INVERSE_OFFERS':
      case 'DECLINE_INVERSE_OFFERS': {
        const accept = call.type === 'ACCEPT_INVERSE_OFFERS';
        const body = accept ? call.accept_inverse_offers : call.decline_inverse_offers;
        await frameworks.answer(
          call.framework_id.value,
          accept ? 'ACCEPT' : 'DECLINE',
          body.inverse_offer_ids.map((id) => id.value),
        );
        res.status(202).end(); // Mesos answers scheduler calls with 202 Accepted
        return;
      }
    }
  }).all(methodNotAllowed);
  return router;
}
