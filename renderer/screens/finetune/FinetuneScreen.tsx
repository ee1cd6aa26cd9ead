import { EmptyState } from '../../components/EmptyState';
import { FinetuneIcon } from '../../components/Icons';
import { ScreenHeader } from '../../components/ScreenHeader';

export function FinetuneScreen() {
  return (
    <div className="screen">
      <ScreenHeader title="Fine-tune" subtitle="Teach a distill your style with LoRA on R1 traces." />
      <EmptyState
        icon={<FinetuneIcon width={32} height={32} />}
        title="Fine-tuning runs from the command line for now"
        description="The training engine is ready; this screen comes next. Train a LoRA adapter on JSONL traces of {question, reasoning, answer}, then merge it into a model you can chat with:"
        points={[
          'npx distillery train run --model <hf-folder> --data traces.jsonl --out <run-folder>',
          'npx distillery train merge --model <hf-folder> --adapter <run-folder>/adapter --out <model-folder> --dtype q4',
          'Then add the merged folder on the Models screen and compare it with its base',
        ]}
      />
    </div>
  );
}
