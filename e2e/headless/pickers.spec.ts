import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '../support/fixtures';
import { buildChatModels, copyModelFolder, forgetModelsAndChats } from './chat-helpers';

test.afterAll(async ({ server }) => {
  await forgetModelsAndChats(server);
});

test('Models › Add: a relative path is refused, the error clears with the field, and Browse… picks a folder on the server', async ({ app, server, callApi }) => {
  test.setTimeout(240_000);
  const folder = copyModelFolder(buildChatModels().scripted, server, 'picked-model');
  await app.keyboard.press('Control+3');
  const field = app.getByRole('textbox', { name: 'Model folder' });
  await field.fill('models/qwen');
  await app.getByRole('button', { name: 'Add model' }).click();
  await expect(app.getByTestId('add-model-error')).toContainText('must be an absolute path');
  await field.fill('');
  await expect(app.getByTestId('add-model-error')).toHaveCount(0);

  // Headless mode has no native dialog: a folder browser over the server's home and data folder.
  await app.getByRole('button', { name: 'Browse for model folder' }).click();
  const dialog = app.getByRole('dialog', { name: 'Model folder' });
  const places = dialog.getByRole('group', { name: 'Places' });
  await expect(places.getByRole('button', { name: 'Home', exact: true })).toBeVisible();
  await places.getByRole('button', { name: 'Distillery data' }).click();
  await dialog.getByRole('button', { name: /test-models/ }).click();
  await dialog.getByRole('button', { name: /picked-model/ }).click();
  await expect(dialog.getByTestId('browser-path')).toHaveText(fs.realpathSync(folder));
  await dialog.getByRole('button', { name: /onnx/ }).click();
  await dialog.getByRole('button', { name: '↑ Up' }).click();
  await dialog.getByRole('button', { name: 'Choose this folder' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(field).toHaveValue(fs.realpathSync(folder));
  await app.getByRole('button', { name: 'Add model' }).click();
  await expect(app.getByText(/^Added /)).toBeVisible({ timeout: 60_000 });

  // Nothing outside the roots: not by path, not through a link.
  fs.symlinkSync('/etc', path.join(server.home, 'etc-link'));
  await expect(callApi('files.browse', { path: '/etc' })).rejects.toThrow(/403/);
  await expect(callApi('files.browse', { path: path.join(server.home, 'etc-link') })).rejects.toThrow(/403/);
  // climbing out of the data folder with `..` (as many as it is deep, wherever the temp folder is): sent unnormalised
  const climb = server.home.split(path.sep).filter(Boolean).map(() => '..').join('/');
  await expect(callApi('files.browse', { path: `${server.home}/${climb}/etc` })).rejects.toThrow(/403/);
  const listing = await callApi('files.browse', { path: server.home });
  expect(listing.entries.map((e) => e.name)).not.toContain('etc-link');
});

test('Fine-tune: Browse… picks the trace folder on the server, and Check reads it', async ({ app, server }) => {
  const folder = path.join(server.home, 'picked-traces');
  fs.mkdirSync(folder, { recursive: true });
  const record = (question: string, answer: string) =>
    JSON.stringify({ messages: [{ role: 'user', content: question }, { role: 'assistant', content: `<think>Add them.</think>\nThe answer is $\\boxed{${answer}}$.` }] });
  fs.writeFileSync(path.join(folder, 'r1.jsonl'), `${record('What is 2+2?', '4')}\n${record('What is 3+4?', '7')}\n`);

  await app.keyboard.press('Control+4');
  const setup = app.getByTestId('finetune-setup');
  const field = setup.getByRole('textbox', { name: 'Trace folder' });
  await expect(field).toHaveValue('');
  await setup.getByRole('button', { name: 'Browse for trace folder' }).click();
  const dialog = app.getByRole('dialog', { name: 'Trace folder' });
  await dialog.getByRole('group', { name: 'Places' }).getByRole('button', { name: 'Distillery data' }).click();
  await dialog.getByRole('button', { name: /picked-traces/ }).click();
  await expect(dialog.getByTestId('browser-path')).toHaveText(fs.realpathSync(folder));
  // a trace file is listed but cannot be chosen: the field takes a folder
  await expect(dialog.getByRole('button', { name: /r1\.jsonl/ })).toBeDisabled();
  await dialog.getByRole('button', { name: 'Choose this folder' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(field).toHaveValue(fs.realpathSync(folder));

  await setup.getByRole('button', { name: 'Check traces' }).click();
  await expect(app.getByTestId('import-report').getByTestId('count-accepted')).toContainText(/^2\D/);
});
