import { Button } from '../../components/Button';
import { EmptyState } from '../../components/EmptyState';
import { ChatIcon } from '../../components/Icons';
import { ScreenHeader } from '../../components/ScreenHeader';

export function ChatScreen({ onOpenModels }: { onOpenModels(): void }) {
  return (
    <div className="screen">
      <ScreenHeader title="Chat" subtitle="Talk to an R1 distill offline and watch it reason." />
      <EmptyState
        icon={<ChatIcon width={32} height={32} />}
        title="No model to chat with yet"
        description="Chat runs a local DeepSeek-R1 distill on this machine. Nothing leaves your computer."
        points={[
          'Streams the model’s reasoning in a collapsible “thinking” panel, then its answer',
          'Keeps every conversation in a local history you can search and resume',
          'Shows tokens per second, time to first token and context use for each reply',
        ]}
        action={
          <Button variant="primary" onClick={onOpenModels}>
            Go to Models
          </Button>
        }
      />
    </div>
  );
}
