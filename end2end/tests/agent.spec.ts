// The governed agent, against the scripted model: a task starts; under "Always ask" each
// step waits on an approval card showing the exact change (still there after a reload: the
// run lives on the server); approved, the file appears in the tree and the command's output
// in the agent's terminal; the diff shows what changed; undo takes it back; the transcript
// page shows every step and who approved it.
import { test, expect } from '@playwright/test';
import { ADMIN, hydrated, openIde, removeWorkspace } from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

test('an agent run is approved step by step, undone, and kept as a transcript', async ({ page }) => {
  const name = await openIde(page, created, 'agent');
  await page.getByRole('button', { name: 'Agent', exact: true }).click();
  const agent = page.getByTestId('agent');
  await agent.getByTestId('agent-policy').selectOption('always');
  await expect(agent.getByTestId('agent-policy')).toHaveValue('always');

  await agent.getByLabel('Task for the agent').fill('Write a greeting script and run it');
  await agent.getByRole('button', { name: 'Start' }).click();

  // The file change waits, shown as a diff.
  const card = agent.getByTestId('approval');
  await expect(card).toContainText('The agent wants to use write_file');
  await expect(card.getByTestId('agent-diff')).toContainText('+echo "hello from the agent"');
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(page.locator('.tree-row[data-path="/workspace/greet.sh"]')).toBeVisible();

  // The run lives on the server: after a reload the panel shows it again, still waiting,
  // now on the command, exactly as it will run.
  await expect(card).toContainText('The agent wants to use run_command');
  await page.reload();
  await hydrated(page);
  await page.getByRole('button', { name: 'Agent', exact: true }).click();
  await expect(card).toContainText('The agent wants to use run_command');
  await expect(card).toContainText('sh greet.sh');
  await card.getByRole('button', { name: 'Approve' }).click();

  await expect(agent.getByTestId('agent-status')).toHaveAttribute('data-status', 'done');
  // The command and its output in the agent's terminal.
  const agentTerminal = agent.getByTestId('agent-terminal');
  await expect(agentTerminal).toContainText('$ sh greet.sh');
  await expect(agentTerminal).toContainText('hello from the agent');
  await expect(agentTerminal).toContainText('[exit status 0');
  await expect(agent.locator('.agent-step.result').last()).toContainText('exit status 0');
  await agent.locator('.agent-step.result summary').last().click();
  await expect(agent.locator('.agent-step.result').last()).toContainText('hello from the agent');
  await expect(agent.getByTestId('agent-diff')).toContainText('+++ b/greet.sh');

  // Undo puts the workspace back.
  page.once('dialog', (dialog) => dialog.accept());
  await agent.getByTestId('agent-undo').click();
  await expect(page.locator('.tree-row[data-path="/workspace/greet.sh"]')).toHaveCount(0);
  await expect(agent.getByTestId('agent-status')).toContainText('undone');

  // The transcript page has it all, and the JSON to keep.
  const transcript = agent.getByRole('link', { name: 'Transcript' });
  const href = await transcript.getAttribute('href');
  expect(href).toMatch(new RegExp(`^/workspaces/${ADMIN}/${name}/agent/[0-9a-f]{32}$`));
  await page.goto(href!);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Write a greeting script and run it' })).toBeVisible();
  await expect(page.locator('.agent-step.decision')).toHaveCount(2);
  await expect(page.locator('.agent-step.decision').first()).toHaveText(`Approved by ${ADMIN}`);
  await expect(page.locator('.agent-step.finish')).toContainText('greet.sh prints a greeting');
  const run = href!.split('/').pop();
  const json = await page.request.get(`/api/agent/${ADMIN}/${name}/${run}/transcript`);
  expect(json.status()).toBe(200);
  expect((await json.json()).steps.length).toBeGreaterThan(5);
});
