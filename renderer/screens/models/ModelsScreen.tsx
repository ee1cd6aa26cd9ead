import { EmptyState } from '../../components/EmptyState';
import { ExternalLink } from '../../components/ExternalLink';
import { ModelsIcon } from '../../components/Icons';
import { ScreenHeader } from '../../components/ScreenHeader';

export function ModelsScreen() {
  return (
    <div className="screen">
      <ScreenHeader title="Models" subtitle="Build ONNX models from Hugging Face safetensors checkpoints." />
      <EmptyState
        icon={<ModelsIcon width={32} height={32} />}
        title="No models yet"
        description={`Distillery builds its own ONNX decoders from the official R1\u2011Distill checkpoints: Qwen 1.5B, 7B, 14B, 32B and Llama 8B, 70B.`}
        points={[
          'Point it at a downloaded checkpoint folder and pick fp32, fp16 or int4',
          'See each model’s size, precision and what it was derived from',
          'Conversions run as background jobs with progress you can cancel',
        ]}
        action={<ExternalLink href="https://huggingface.co/deepseek-ai">The R1-Distill checkpoints on Hugging Face</ExternalLink>}
      />
    </div>
  );
}
