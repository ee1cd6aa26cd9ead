import { EmptyState } from '../../components/EmptyState';
import { CompareIcon } from '../../components/Icons';
import { ScreenHeader } from '../../components/ScreenHeader';

export function CompareScreen() {
  return (
    <div className="screen">
      <ScreenHeader title="Compare" subtitle="One prompt, two model sizes, side by side." />
      <EmptyState
        icon={<CompareIcon width={32} height={32} />}
        title="Compare needs two local models"
        description="Send the same prompt to two R1 distills — say 1.5B and 7B — and see how their reasoning differs."
        points={[
          'Both answers stream at once, each with its own thinking panel',
          'Speed, reasoning length and answer length for each side',
          'Works with any two models you have built on the Models screen',
        ]}
      />
    </div>
  );
}
