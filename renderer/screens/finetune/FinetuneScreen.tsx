import { EmptyState } from '../../components/EmptyState';
import { FinetuneIcon } from '../../components/Icons';
import { ScreenHeader } from '../../components/ScreenHeader';

export function FinetuneScreen() {
  return (
    <div className="screen">
      <ScreenHeader title="Fine-tune" subtitle="Teach a distill your style with LoRA on R1 traces." />
      <EmptyState
        icon={<FinetuneIcon width={32} height={32} />}
        title="Fine-tuning is not set up yet"
        description="Train a LoRA adapter on a folder of R1 reasoning traces, on this machine, and chat with the result."
        points={[
          'Reads traces as JSONL or Parquet and checks them before training',
          'Live loss curve, tokens per second and time left while it trains',
          'Merge the adapter into a new model or keep it separate',
        ]}
      />
    </div>
  );
}
