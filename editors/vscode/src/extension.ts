// The extension: starts `web3audit lsp` for Solidity and Vyper documents and keeps it in
// step with the `web3audit.*` settings. The server does the rest (diagnostics, hover, code
// actions, and the `web3audit.openDocumentation` command, which vscode-languageclient
// registers for it; the server answers with `window/showDocument`, which the client opens
// with `env.openExternal` for a web address).

import * as os from 'os';
import * as vscode from 'vscode';
import {
    DidChangeConfigurationNotification,
    LanguageClient,
    LanguageClientOptions,
    ServerOptions,
} from 'vscode-languageclient/node';

import {
    EditorSettings,
    SECTION,
    ServerExecutable,
    documentSelector,
    initializationOptions,
    resolveServerPath,
    serverExecutable,
    serverSettings,
} from './settings';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
/** Starts and stops in the order they were asked for. */
let queue: Promise<void> = Promise.resolve();

function readSettings(): EditorSettings {
    const config = vscode.workspace.getConfiguration(SECTION);
    return {
        path: config.get('path'),
        minSeverity: config.get('minSeverity'),
        detectors: {
            include: config.get('detectors.include'),
            exclude: config.get('detectors.exclude'),
        },
        documentationUrl: config.get('documentationUrl'),
        debounceMs: config.get('debounceMs'),
    };
}

function command(): string {
    const folders = (vscode.workspace.workspaceFolders ?? [])
        .filter((folder) => folder.uri.scheme === 'file')
        .map((folder) => folder.uri.fsPath);
    return resolveServerPath(readSettings().path, { workspaceFolders: folders, home: os.homedir() });
}

function createClient(channel: vscode.OutputChannel, executable: ServerExecutable): LanguageClient {
    // No `transport`: with `TransportKind.stdio` the client would add `--stdio` to the
    // arguments, which `web3audit lsp` does not take; stdio is the default anyway.
    const serverOptions: ServerOptions = { run: executable, debug: executable };
    const clientOptions: LanguageClientOptions = {
        documentSelector: documentSelector(),
        initializationOptions: initializationOptions(readSettings()),
        synchronize: { configurationSection: SECTION },
        outputChannel: channel,
        middleware: {
            workspace: {
                // What the server is sent is the settings it reads, with empty values
                // left out, not the raw section (which holds the extension's own settings).
                didChangeConfiguration: async () => {
                    if (!created.isRunning()) {
                        return;
                    }
                    await created.sendNotification(DidChangeConfigurationNotification.type, {
                        settings: initializationOptions(readSettings()),
                    });
                },
                configuration: (params, token, next) => {
                    if (params.items.every((item) => item.section !== SECTION)) {
                        return next(params, token);
                    }
                    return params.items.map((item) =>
                        item.section === SECTION ? serverSettings(readSettings()) : null,
                    );
                },
            },
        },
    };
    const created = new LanguageClient(SECTION, 'web3audit', serverOptions, clientOptions);
    return created;
}

function start(): Promise<void> {
    queue = queue.then(async () => {
        if (client !== undefined || output === undefined) {
            return;
        }
        const executable = serverExecutable(command());
        const created = createClient(output, executable);
        client = created;
        try {
            await created.start();
        } catch (error) {
            // Not awaited: the message stays until it is dismissed, and a restart (a new
            // web3audit.path) must not wait for that.
            void failed(executable, error);
        }
    });
    return queue;
}

async function failed(executable: ServerExecutable, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const action = 'Open Settings';
    const line = [executable.command, ...executable.args].join(' ');
    const chosen = await vscode.window.showErrorMessage(
        `web3audit: could not start the language server (\`${line}\`): ${message}. ` +
            'Set web3audit.path to the web3audit binary.',
        action,
    );
    if (chosen === action) {
        await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.path`);
    }
}

function stop(): Promise<void> {
    queue = queue.then(async () => {
        const running = client;
        client = undefined;
        if (running === undefined) {
            return;
        }
        try {
            await running.stop();
        } catch {
            // A server that never started, or already died: nothing left to stop.
        }
    });
    return queue;
}

async function restart(): Promise<void> {
    await stop();
    await start();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    output = vscode.window.createOutputChannel('web3audit');
    context.subscriptions.push(
        output,
        vscode.commands.registerCommand(`${SECTION}.restartServer`, restart),
        vscode.workspace.onDidChangeConfiguration((event) => {
            if (event.affectsConfiguration(`${SECTION}.path`)) {
                void restart();
            }
        }),
    );
    await start();
}

export async function deactivate(): Promise<void> {
    await stop();
    output = undefined;
}
