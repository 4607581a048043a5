// What the extension derives from its settings: the server's command line, the settings
// the server reads (docs/editors.md, *Settings*) and the documents it is given. Nothing here
// imports `vscode`, so the unit tests run it under plain Node.

import * as path from 'path';

/** The configuration section of every setting, and the language client's id. */
export const SECTION = 'web3audit';

/** The severities the server knows, highest first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'] as const;

/** The command name used when `web3audit.path` is empty: looked up on `PATH`. */
export const DEFAULT_COMMAND = 'web3audit';

/** The settings of the `web3audit` section as the editor gives them (any value may be
 * missing or of the wrong type when settings.json was edited by hand). */
export interface EditorSettings {
    path?: unknown;
    minSeverity?: unknown;
    detectors?: { include?: unknown; exclude?: unknown } | unknown;
    documentationUrl?: unknown;
    debounceMs?: unknown;
}

/** The server's `web3audit` settings: only what was set, so that the server's defaults and
 * the project's `web3audit.toml` apply to the rest. */
export interface ServerSettings {
    minSeverity?: string;
    detectors: { include: string[]; exclude: string[] };
    documentationUrl?: string;
    debounceMs?: number;
}

function text(value: unknown): string {
    return typeof value === 'string' ? value.trim() : '';
}

function ids(value: unknown): string[] {
    if (!Array.isArray(value)) {
        return [];
    }
    const out: string[] = [];
    for (const item of value) {
        const id = text(item);
        if (id !== '' && !out.includes(id)) {
            out.push(id);
        }
    }
    return out;
}

/** The server's settings for the editor's ones. An empty severity or URL means "not set";
 * a non-empty unknown severity is passed on, for the server to report. */
export function serverSettings(settings: EditorSettings): ServerSettings {
    const detectors =
        settings.detectors !== null && typeof settings.detectors === 'object'
            ? (settings.detectors as { include?: unknown; exclude?: unknown })
            : {};
    const out: ServerSettings = {
        detectors: { include: ids(detectors.include), exclude: ids(detectors.exclude) },
    };
    const minSeverity = text(settings.minSeverity);
    if (minSeverity !== '') {
        out.minSeverity = minSeverity.toLowerCase();
    }
    const documentationUrl = text(settings.documentationUrl);
    if (documentationUrl !== '') {
        out.documentationUrl = documentationUrl;
    }
    const debounce = settings.debounceMs;
    if (typeof debounce === 'number' && Number.isInteger(debounce) && debounce >= 0) {
        out.debounceMs = debounce;
    }
    return out;
}

/** `initializationOptions` and `workspace/didChangeConfiguration` settings: the server
 * settings under their section. */
export function initializationOptions(settings: EditorSettings): { web3audit: ServerSettings } {
    return { web3audit: serverSettings(settings) };
}

/** Where `web3audit.path` is resolved. */
export interface PathContext {
    /** The file system paths of the workspace folders, first one first. */
    workspaceFolders: readonly string[];
    /** The user's home folder. */
    home: string;
}

/** The command to start for `web3audit.path`: empty is `web3audit` on `PATH`; a bare
 * name stays a name (looked up on `PATH`); `~` and `${workspaceFolder}` are expanded; a
 * relative path is taken from the first workspace folder. */
export function resolveServerPath(setting: unknown, context: PathContext): string {
    let value = text(setting);
    if (value === '') {
        return DEFAULT_COMMAND;
    }
    const folder = context.workspaceFolders[0];
    if (value.includes('${workspaceFolder}')) {
        if (folder === undefined) {
            value = value.split('${workspaceFolder}').join('.');
        } else {
            value = value.split('${workspaceFolder}').join(folder);
        }
    }
    if (value === '~' || value.startsWith('~/') || value.startsWith('~\\')) {
        value = path.join(context.home, value.slice(1));
    }
    if (path.isAbsolute(value)) {
        return path.normalize(value);
    }
    if (!value.includes('/') && !value.includes('\\')) {
        return value;
    }
    return folder === undefined ? path.resolve(value) : path.resolve(folder, value);
}

/** How the server is started: `<command> lsp`, speaking LSP over stdin and stdout. The
 * shape is vscode-languageclient's `Executable` (stdio is its default transport). */
export interface ServerExecutable {
    command: string;
    args: string[];
}

export function serverExecutable(command: string): ServerExecutable {
    return { command, args: ['lsp'] };
}

/** A document filter, as vscode-languageclient takes it. */
export type DocumentFilter = { scheme: string; language: string } | { scheme: string; pattern: string };

/** The documents the server is given: Solidity and Vyper files and unsaved buffers, by
 * language id, and files named `*.sol`, `*.vy` and `*.vyi` whatever their language (the
 * server tells the language by extension, so they work without a Solidity or Vyper
 * extension). */
export function documentSelector(): DocumentFilter[] {
    const selector: DocumentFilter[] = [];
    for (const language of ['solidity', 'vyper']) {
        for (const scheme of ['file', 'untitled']) {
            selector.push({ scheme, language });
        }
    }
    selector.push({ scheme: 'file', pattern: '**/*.{sol,vy,vyi}' });
    return selector;
}
