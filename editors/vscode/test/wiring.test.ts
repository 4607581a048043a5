// The extension as VS Code runs it, less VS Code: its compiled `activate()` with the `vscode`
// stub, the real vscode-languageclient, and the real server (`WEB3AUDIT_BIN`). Diagnostics,
// hover, code actions and the documentation command go through the client's own
// diagnostic collection, providers and command registry; settings go through
// `onDidChangeConfiguration`; `deactivate()` must end the server with exit code 0.

// The harness first: it answers `require('vscode')` before the extension asks.
import { WALLET, extensionContext, fixtureProject, serverBinary, vscode, waitFor } from './harness';

import * as assert from 'assert/strict';
import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { after, before, test } from 'node:test';

import type * as Extension from '../src/extension';

// The compiled extension, or the one unpacked from the .vsix when
// WEB3AUDIT_VSCODE_EXTENSION names its entry (tools/vscode/test.sh), which must then load
// with the dependencies packaged beside it.
const entry = process.env.WEB3AUDIT_VSCODE_EXTENSION;
const extension = require(entry ? path.resolve(entry) : '../src/extension') as typeof Extension;

const { stub, Uri, Range, Position, CancellationTokenSource, CodeActionTriggerKind } = vscode;

// The server processes the client starts, to see how they end.
const children: childProcess.ChildProcess[] = [];
const spawn = childProcess.spawn;
(childProcess as { spawn: unknown }).spawn = (...args: Parameters<typeof spawn>) => {
    const child = spawn(...args);
    children.push(child);
    return child;
};

function exited(child: childProcess.ChildProcess): Promise<{ code: number | null; signal: string | null }> {
    if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    }
    return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** The finding `scan` reports for the fixture (1-based lines and columns, the end
 * exclusive): the range the editor must show. */
function scanned(bin: string, file: string): { line: number; start: number; endLine: number; end: number } {
    const run = childProcess.spawnSync(bin, ['scan', file, '--format', 'json'], { encoding: 'utf8' });
    const report = JSON.parse(run.stdout);
    const finding = report.findings.find((f: { rule_id: string }) => f.rule_id === 'tx-origin-auth');
    assert.ok(finding, `scan does not report tx-origin-auth: ${run.stdout.slice(0, 2000)}`);
    return {
        line: finding.start_line - 1,
        start: finding.start_column - 1,
        endLine: finding.end_line - 1,
        end: finding.end_column - 1,
    };
}

/** A Vyper contract with the same mistake, on line 7. */
const VAULT = `# pragma version ^0.3.10

owner: public(address)

@external
def withdraw(to: address):
    assert tx.origin == self.owner
    send(to, self.balance)
`;

/** A diagnostic's code: a string, or `{ value, target }` when it links to documentation. */
function codeOf(diagnostic: { code?: unknown }): unknown {
    const code = diagnostic.code;
    return code !== null && typeof code === 'object' ? (code as { value: unknown }).value : code;
}

const token = () => new CancellationTokenSource().token;

let bin: string;
before(() => {
    bin = serverBinary();
});
after(async () => {
    await extension.deactivate();
    // A server the extension failed to stop would keep this process alive: end it here
    // (the test that expected it to stop has failed already).
    for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGKILL');
        }
    }
});

test('the extension starts the server, shows its findings, and follows the settings', { timeout: 90_000 }, async (t) => {
    stub.reset();
    const { root, wallet } = fixtureProject();
    stub.workspaceFolders = [{ uri: Uri.file(root), name: path.basename(root), index: 0 }];
    stub.setSetting('web3audit.path', bin);
    const expected = scanned(bin, wallet);
    const context = extensionContext();
    const started = children.length;

    await extension.activate(context as never);
    assert.equal(children.length, started + 1, 'one server process');
    const server = children[children.length - 1];
    assert.deepEqual(server.spawnargs, [bin, 'lsp']);

    const document = stub.open(wallet, 'solidity', WALLET);
    const finding = () =>
        stub.diagnostics(document.uri)?.find((d) => codeOf(d) === 'tx-origin-auth');

    await t.test('diagnostics arrive in the client\'s collection', async () => {
        const found = await waitFor('the tx-origin-auth diagnostic', finding);
        assert.equal(found.source, 'web3audit');
        assert.equal(found.severity, vscode.DiagnosticSeverity.Error, 'a high finding is an error');
        assert.deepEqual(
            [found.range.start.line, found.range.start.character, found.range.end.line, found.range.end.character],
            [expected.line, expected.start, expected.endLine, expected.end],
            'the range scan reports',
        );
        assert.match(found.message, /tx\.origin/);
    });
    const found = finding();
    assert.ok(found);

    await t.test('hover shows the detector\'s documentation', async () => {
        const hover = await stub.provider('Hover').provideHover(document, found.range.start, token());
        assert.ok(hover, 'no hover');
        const text = hover.contents.map((c: { value?: string }) => (typeof c === 'string' ? c : c.value)).join('\n');
        assert.match(text, /tx-origin-auth/);
        assert.match(text, /What it detects/, 'the documentation, as `web3audit explain` prints it');
    });

    await t.test('code actions: the suppression comment and the documentation command', async () => {
        const actions = await stub
            .provider('CodeActions')
            .provideCodeActions(
                document,
                found.range,
                { diagnostics: [found], triggerKind: CodeActionTriggerKind.Invoke, only: undefined },
                token(),
            );
        const titles = actions.map((a: { title: string }) => a.title);
        const suppress = actions.find((a: { title: string }) => a.title.startsWith('Suppress `tx-origin-auth`'));
        assert.ok(suppress, `no suppression among ${titles}`);
        const [[uri, edits]] = suppress.edit.entries();
        assert.equal(uri.toString(), document.uri.toString());
        assert.equal(edits[0].range.start.line, expected.line);
        assert.match(edits[0].newText, /^ {8}\/\/ web3audit-disable-next-line tx-origin-auth -- /);
        const docs = actions.find((a: { title: string }) => a.title.startsWith('Open the documentation'));
        assert.ok(docs, `no documentation action among ${titles}`);
        assert.equal(docs.command.command, 'web3audit.openDocumentation');
        assert.deepEqual(docs.command.arguments, ['tx-origin-auth']);
    });

    await t.test('the documentation command opens the Markdown file, or the URL when set', async () => {
        await vscode.commands.executeCommand('web3audit.openDocumentation', 'tx-origin-auth');
        const shown = await waitFor('the documentation file shown', () => stub.shown[0]);
        assert.equal(shown.scheme, 'file');
        assert.match(shown.fsPath, /tx-origin-auth\.md$/);

        stub.setSetting('web3audit.documentationUrl', 'https://example.org/detectors.html');
        await vscode.commands.executeCommand('web3audit.openDocumentation', 'tx-origin-auth');
        const opened = await waitFor('the documentation opened outside', () => stub.external[0]);
        assert.equal(opened.toString(), 'https://example.org/detectors.html#tx-origin-auth');
    });

    await t.test('a minimum severity of critical hides the finding; back to the default, it returns', async () => {
        stub.setSetting('web3audit.minSeverity', 'critical');
        await waitFor('the finding gone', () => (stub.diagnostics(document.uri) !== undefined && finding() === undefined ? true : undefined));
        stub.setSetting('web3audit.minSeverity', '');
        const back = await waitFor('the finding back', finding);
        assert.equal(
            String((back.code as { target?: unknown }).target),
            'https://example.org/detectors.html#tx-origin-auth',
            'the code links to web3audit.documentationUrl',
        );
        assert.deepEqual(
            stub.messages.filter((m) => m.level !== 'information'),
            [],
            'an empty setting is not sent as a value (the server would warn)',
        );
    });

    await t.test('an edit of the buffer is analysed from memory', async () => {
        const line = document.lineAt(expected.line).text;
        const column = line.indexOf('tx.origin');
        stub.edit(document, new Range(new Position(expected.line, column), new Position(expected.line, column + 9)), 'msg.sender');
        await waitFor('the finding gone after the edit', () => (finding() === undefined ? true : undefined));
    });

    await t.test('an unsaved buffer without a file is analysed by its language', async () => {
        const untitled = stub.open(Uri.parse('untitled:Untitled-1'), 'solidity', WALLET);
        await waitFor('the diagnostic of the untitled buffer', () =>
            stub.diagnostics(untitled.uri)?.find((d) => codeOf(d) === 'tx-origin-auth'),
        );
    });

    await t.test('a .vy file is given to the server whatever its language id', async () => {
        // On disk the check is right; the open buffer (plain text, as without a Vyper
        // extension) has the finding, which only the buffer's text can show.
        const vault = path.join(root, 'src', 'Vault.vy');
        fs.writeFileSync(vault, VAULT.replace('tx.origin', 'msg.sender'));
        const buffer = stub.open(vault, 'plaintext', VAULT);
        const vyper = await waitFor('the Vyper buffer\'s diagnostic', () =>
            stub.diagnostics(buffer.uri)?.find((d) => codeOf(d) === 'tx-origin-auth'),
        );
        assert.equal(vyper.range.start.line, 6);
    });

    let current = server;
    await t.test('web3audit.restartServer starts a new server, which publishes again', async () => {
        const before = children.length;
        stub.collections.forEach((collection) => collection.clear());
        await vscode.commands.executeCommand('web3audit.restartServer');
        assert.equal(children.length, before + 1, 'one new server process');
        assert.deepEqual(await exited(server), { code: 0, signal: null }, 'the old server stopped cleanly');
        current = children[children.length - 1];
        await waitFor('the untitled buffer\'s diagnostic from the new server', () =>
            stub.diagnostics(Uri.parse('untitled:Untitled-1'))?.find((d) => codeOf(d) === 'tx-origin-auth'),
        );
    });

    await t.test('deactivate shuts the server down', async () => {
        await extension.deactivate();
        context.dispose();
        const end = await Promise.race([
            exited(current),
            new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000)),
        ]);
        assert.deepEqual(end, { code: 0, signal: null }, 'the server exits with 0 after shutdown and exit');
    });
});

test('a missing binary is reported; setting web3audit.path restarts with the right one', { timeout: 60_000 }, async () => {
    stub.reset();
    const { root, wallet } = fixtureProject();
    stub.workspaceFolders = [{ uri: Uri.file(root), name: path.basename(root), index: 0 }];
    stub.setSetting('web3audit.path', path.join(root, 'no-such-web3audit'));
    const context = extensionContext();

    await extension.activate(context as never);
    const error = await waitFor('the error message', () => stub.messages.find((m) => m.level === 'error' && m.message.includes('could not start')));
    assert.match(error.message, /no-such-web3audit lsp/);
    assert.match(error.message, /web3audit\.path/);

    const document = stub.open(wallet, 'solidity', WALLET);
    stub.setSetting('web3audit.path', bin);
    await waitFor('the diagnostic from the restarted server', () =>
        stub.diagnostics(document.uri)?.find((d) => codeOf(d) === 'tx-origin-auth'),
    );
    const server = children[children.length - 1];
    assert.deepEqual(server.spawnargs, [bin, 'lsp']);

    // The message was still open meanwhile; its button leads to the setting.
    error.choose('Open Settings');
    await waitFor('the settings opened', () =>
        stub.executed.find(([name, query]) => name === 'workbench.action.openSettings' && query === 'web3audit.path'),
    );
    await extension.deactivate();
    context.dispose();
    assert.deepEqual(await exited(server), { code: 0, signal: null });
});
