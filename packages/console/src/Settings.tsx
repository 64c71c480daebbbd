import type { getCustomerModel, getStageRules } from '@waymark/api-contract';
import { useRoute } from './api.ts';
import { CustomerModelForm } from './CustomerModelForm.tsx';
import { StageRulesEditor } from './StageRulesEditor.tsx';
import { Loading, ProblemView } from './ui.tsx';

/** The project's journey settings: its stage ruleset and its customer model, each versioned. */
export function Settings() {
  const none = new URLSearchParams();
  const ruleset = useRoute<typeof getStageRules>('/v1/projects/:projectId/stage-rules', none);
  const model = useRoute<typeof getCustomerModel>('/v1/projects/:projectId/customer-model', none);
  return (
    <main className="settings">
      <h1>Journey settings</h1>
      <section aria-labelledby="stage-ruleset-heading">
        <h2 id="stage-ruleset-heading">Stage ruleset</h2>
        {ruleset.isPending ? (
          <Loading what="the stage ruleset" />
        ) : ruleset.isError ? (
          <ProblemView error={ruleset.error} />
        ) : (
          <StageRulesEditor current={ruleset.data} onStale={() => void ruleset.refetch()} />
        )}
      </section>
      <section aria-labelledby="customer-model-heading">
        <h2 id="customer-model-heading">Customer model</h2>
        {model.isPending ? (
          <Loading what="the customer model" />
        ) : model.isError ? (
          <ProblemView error={model.error} />
        ) : (
          <CustomerModelForm current={model.data} onStale={() => void model.refetch()} />
        )}
      </section>
    </main>
  );
}
