import { Card } from '../../components/Card';
import { APPLIES_AT_NEXT_LOAD } from '../../state/providerSettings';
import { useDefaultProvider } from '../../state/useProviderSettings';
import { ProviderSelect } from '../../components/ProviderSelect';
import { ThreadsField } from './ThreadsField';

/** The default execution provider for every model (a model's own choice on the Models screen wins). */
export function InferenceCard() {
  const provider = useDefaultProvider();
  return (
    <Card
      title="Inference"
      description="Where models run. Automatic picks the best provider this machine has and falls back, with the reason, when one fails."
      testId="inference-card"
    >
      <div className="field">
        <span className="subheading">Execution provider</span>
        <ProviderSelect setting={provider} label="Execution provider" testId="default-provider" />
      </div>
      <ThreadsField />
      <p className="muted">
        {APPLIES_AT_NEXT_LOAD} A model can override this on the Models screen.
      </p>
    </Card>
  );
}
