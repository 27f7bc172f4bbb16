// AI in the IDE, against a scripted model server: an answer streams in as Markdown, its
// code block goes into the open file at the cursor as one undo step, and the panel says
// what was sent; the terminal assistant's command reaches the shell only when confirmed;
// a code action's diff is accepted hunk by hunk and undone in one step.
import { test, expect } from '@playwright/test';
import { openIde, removeWorkspace, run, terminal } from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

test('an answer streams in and its code block is inserted at the cursor', async ({ page }) => {
  await openIde(page, created, 'ai');
  await expect(terminal(page)).toContainText('$');
  await run(page, "printf 'first line\\n' > app.py");

  const file = page.locator('.tree-row[data-path="/workspace/app.py"]');
  await file.getByRole('button', { name: 'app.py' }).click();
  const content = page.locator('[data-testid="editor"][data-path="/workspace/app.py"] .cm-content');
  await expect(content).toHaveText('first line');
  await content.click();
  await page.keyboard.press('Control+End');

  await page.getByRole('button', { name: 'AI assistant' }).click();
  const chat = page.getByTestId('chat');
  await expect(chat.getByLabel('Model')).toHaveValue('scripted');
  await chat.getByLabel('Open file').check();
  await chat.getByLabel('Ask about this workspace').fill('Write a greeting');
  await chat.getByRole('button', { name: 'Ask' }).click();

  const answer = chat.getByTestId('chat-answer').last();
  await expect(answer).toContainText('Run it with python3');
  await expect(answer.locator('pre.code-block')).toContainText('print("hello from the model")');
  // Highlighted by the editor's Python parser.
  await expect(answer.locator('pre.code-block .tok-string')).toHaveCount(1);
  await expect(chat.getByTestId('chat-context')).toContainText('sent: file /workspace/app.py');

  await answer.getByRole('button', { name: 'Insert at cursor' }).click();
  await expect(content).toContainText('first lineprint("hello from the model")');
  await content.click();
  await page.keyboard.press('Control+z');
  await expect(content).toHaveText('first line');

  // The conversation was saved: a new one clears the panel, the saved one comes back.
  const saved = chat.getByTestId('saved-conversations');
  await expect(saved.locator('option', { hasText: 'Write a greeting' })).toHaveCount(1);
  await chat.getByRole('button', { name: 'New conversation' }).click();
  await expect(chat.getByTestId('chat-answer')).toHaveCount(0);
  await saved.selectOption({ label: 'Write a greeting' });
  await expect(chat.getByTestId('chat-answer')).toContainText('Run it with python3');
});

test('the terminal assistant types its command only after confirmation', async ({ page }) => {
  await openIde(page, created, 'assist');
  await expect(terminal(page)).toContainText('$');

  await terminal(page).click();
  await page.keyboard.press('Control+k');
  const assistant = page.getByTestId('command-assistant');
  await assistant.getByLabel('What should this terminal do?').fill('say something');
  await assistant.getByLabel('What should this terminal do?').press('Enter');
  await expect(assistant.getByLabel('Command (edit it if you like)')).toHaveValue("echo assisted-''command");
  await expect(assistant.getByTestId('risk')).toHaveText('low risk');
  await expect(terminal(page)).not.toContainText('assisted');

  await assistant.getByRole('button', { name: 'Run' }).click();
  await expect(assistant).toHaveCount(0);
  await expect(terminal(page)).toContainText('assisted-command');
});

test('a code action is reviewed hunk by hunk, applied, and undone in one step', async ({ page }) => {
  await openIde(page, created, 'actions');
  await expect(terminal(page)).toContainText('$');
  const original = ['one = 1', 'two = 2', 'three = 3', 'four = 4', 'five = 5', 'six = 6', 'seven = 7'];
  await run(page, `printf '${original.join('\\n')}\\n' > numbers.py`);
  await page.locator('.tree-row[data-path="/workspace/numbers.py"]').getByRole('button', { name: 'numbers.py' }).click();
  const editor = page.locator('[data-testid="editor"][data-path="/workspace/numbers.py"]');
  const content = editor.locator('.cm-content').first();
  await expect(content).toContainText('seven = 7');

  await editor.getByRole('button', { name: 'Explain' }).click();
  await expect(editor.getByTestId('explanation')).toContainText('This file assigns seven numbers');
  await editor.getByTestId('explanation').getByRole('button', { name: 'Close' }).click();

  await editor.getByRole('button', { name: 'Refactor' }).click();
  const review = editor.getByTestId('review');
  await expect(review).toBeVisible();
  await expect(review.getByRole('button', { name: 'Accept' })).toHaveCount(2);
  await review.getByRole('button', { name: 'Accept' }).first().click();
  await expect(review.getByRole('button', { name: 'Reject' })).toHaveCount(1);
  await review.getByRole('button', { name: 'Reject' }).click();
  await review.getByRole('button', { name: 'Apply' }).click();
  await expect(review).toBeHidden();
  await expect(content).toContainText('two = 22');
  await expect(content).toContainText('six = 6');
  await expect(content).not.toContainText('six = 66');
  await expect(editor.page().locator('.editors .tab', { hasText: 'numbers.py' }).getByLabel('unsaved')).toBeVisible();

  await content.click();
  await page.keyboard.press('Control+z');
  await expect(content).toContainText('two = 2');
  await expect(content).not.toContainText('two = 22');
});

test('an answer never loads what it shows: images become links', async ({ page }) => {
  const leaks: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('leak=')) leaks.push(request.url());
  });
  await openIde(page, created, 'ai-img');
  await page.getByRole('button', { name: 'AI assistant' }).click();
  const chat = page.getByTestId('chat');
  await chat.getByLabel('Ask about this workspace').fill('Show me a picture');
  await chat.getByRole('button', { name: 'Ask' }).click();
  const answer = chat.getByTestId('chat-answer').last();
  await expect(answer).toContainText('Here it is');
  const link = answer.locator('a.answer-image');
  await expect(link).toContainText('the picture');
  await expect(link).toHaveAttribute('href', '/api/health?leak=markdown');
  await expect(answer.locator('img')).toHaveCount(0);
  expect(leaks).toEqual([]);
});
