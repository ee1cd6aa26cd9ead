import { useState, type FormEvent } from 'react';
import { errorMessage } from '../../api';
import { PathPicker } from '../../components/PathPicker';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { EmptyState } from '../../components/EmptyState';
import { ExternalLink } from '../../components/ExternalLink';
import { ModelsIcon, PlusIcon } from '../../components/Icons';
import { ScreenHeader } from '../../components/ScreenHeader';
import { formatBytes } from '../../state/format';
import { useModels, type ModelsState } from '../../state/useModels';
import { CatalogCard } from './CatalogCard';
import { ConvertCard } from './ConvertCard';
import { useDiskUsage } from './useDiskUsage';
import { ModelRow } from './ModelRow';
import { ReconvertPanel } from './ReconvertPanel';
import { useReconvert } from '../../state/useReconvert';
import './models.css';

/** A model folder by path (the desktop app may add a native folder dialog later). Checked by the back end. */
function AddModelForm({ models }: { models: ModelsState }) {
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!path.trim() || adding) return;
    setAdding(true);
    setError(null);
    setAdded(null);
    try {
      const model = await models.add(path.trim(), name.trim() || undefined);
      setAdded(`Added ${model.name}.`);
      setPath('');
      setName('');
    } catch (reason) {
      setError(errorMessage(reason));
    } finally {
      setAdding(false);
    }
  };

  return (
    <form onSubmit={(event) => void submit(event)}>
      <div className="form-row">
        <input className="input" aria-label="Model folder" placeholder="/path/to/model-folder" value={path} onChange={(e) => {
            setPath(e.target.value);
            setError(null); // the error was about what was typed before
          }} spellCheck={false} />
        <PathPicker
          kind="folder"
          title="Model folder"
          current={path}
          onPick={(picked) => {
            setPath(picked);
            setError(null);
          }}
        />
        <input className="input input-name" aria-label="Display name" placeholder="Name (optional)" value={name} onChange={(e) => setName(e.target.value)} />
        <Button type="submit" variant="primary" icon={<PlusIcon />} disabled={!path.trim() || adding}>
          {adding ? 'Checking…' : 'Add model'}
        </Button>
      </div>
      {error && (
        <div className="inline-error" role="alert" data-testid="add-model-error" style={{ marginTop: 10, marginBottom: 0 }}>
          {error}
        </div>
      )}
      {added && <p className="muted" style={{ marginTop: 8 }}>{added}</p>}
    </form>
  );
}

export function ModelsScreen() {
  const models = useModels();
  const usage = useDiskUsage(models.models.map((m) => m.id).join());
  const refresh = () => {
    models.refresh();
    usage.refresh();
  };
  const reconvert = useReconvert(models.models, refresh);
  return (
    <div className="screen">
      <ScreenHeader title="Models" subtitle="The R1 distills this machine can run: converted by Distillery or added from disk." />
      <div className="stack">
        <CatalogCard onModelAdded={refresh} />
        <Card
          title="Add a model folder"
          description={
            <>
              A folder converted by Distillery (or in transformers.js layout): <code>config.json</code>, tokenizer files and{' '}
              <code>onnx/model*.onnx</code>. Its files are checked before it is added.
            </>
          }
        >
          <AddModelForm models={models} />
        </Card>
        <ConvertCard onConverted={models.refresh} />
        <Card
          title="Your models"
          description={
            <>
              Loading keeps a model in memory for Chat and Compare; it loads by itself on the first message too.
              {usage.totalBytes !== undefined && <span data-testid="models-usage-total"> In all: {formatBytes(usage.totalBytes)} on disk.</span>}
            </>
          }
          testId="models-card"
        >
          {models.listError && <div className="inline-error">{models.listError}</div>}
          {models.models.length === 0 && !models.loading ? (
            <EmptyState
              icon={<ModelsIcon width={32} height={32} />}
              title="No models yet"
              description="Add a converted model folder or convert a checkpoint above, or from a terminal: npx distillery models add <folder>. Distillery builds its models from the official R1-Distill checkpoints (Qwen 1.5B, 7B, 14B, 32B; Llama 8B, 70B)."
              action={<ExternalLink href="https://huggingface.co/deepseek-ai">The R1-Distill checkpoints on Hugging Face</ExternalLink>}
            />
          ) : (
            <ul className="model-list" data-testid="model-list">
              {models.models.map((model) => (
                <ModelRow
                  key={model.id}
                  model={model}
                  busy={models.busy[model.id]}
                  error={models.errors[model.id]}
                  onLoad={() => void models.load(model.id)}
                  onUnload={() => void models.unload(model.id)}
                  onRemove={() => void models.remove(model.id).then(usage.refresh)}
                  onRemoveWithFiles={() => void usage.removeWithFiles(model.id).then(refresh)}
                  usageBytes={usage.byModel[model.id]}
                  onDismissError={() => models.clearError(model.id)}
                  reconvert={
                    <ReconvertPanel
                      modelName={model.name}
                      upgrade={model.speedUpgrade}
                      job={reconvert.jobFor(model)}
                      starting={reconvert.starting === model.id}
                      error={reconvert.errors[model.id]}
                      onStart={() => void reconvert.start(model.id)}
                      onDismiss={() => reconvert.dismiss(model.id)}
                      actions={reconvert.actions}
                    />
                  }
                />
              ))}
            </ul>
          )}
        </Card>
      </div>
    </div>
  );
}
