// A stand-in for the `vscode` module, enough for the extension and vscode-languageclient to
// run under plain Node: documents, settings (with the defaults of package.json), events,
// the diagnostic collection, commands, providers and messages, all recorded for the tests
// in `stub`. The harness makes a name this file lacks throw when read, so a test fails
// loudly where the client reaches for more of the API than this file offers.

import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';

type Listener<T> = (event: T) => unknown;

export class Disposable {
    static from(...items: { dispose(): unknown }[]): Disposable {
        return new Disposable(() => items.forEach((item) => item.dispose()));
    }
    constructor(private readonly onDispose: () => unknown) {}
    dispose(): void {
        this.onDispose();
    }
}

export class EventEmitter<T> {
    private listeners: Listener<T>[] = [];
    readonly event = (listener: Listener<T>, thisArg?: unknown, disposables?: Disposable[]): Disposable => {
        const bound: Listener<T> = (event) => listener.call(thisArg, event);
        this.listeners.push(bound);
        const disposable = new Disposable(() => {
            this.listeners = this.listeners.filter((l) => l !== bound);
        });
        disposables?.push(disposable);
        return disposable;
    };
    fire(event: T): void {
        for (const listener of [...this.listeners]) {
            listener(event);
        }
    }
    dispose(): void {
        this.listeners = [];
    }
}

export class CancellationError extends Error {}

export class CancellationTokenSource {
    private readonly emitter = new EventEmitter<void>();
    readonly token = {
        isCancellationRequested: false,
        onCancellationRequested: this.emitter.event,
    };
    cancel(): void {
        if (!this.token.isCancellationRequested) {
            this.token.isCancellationRequested = true;
            this.emitter.fire();
        }
    }
    dispose(): void {
        this.emitter.dispose();
    }
}

export class Uri {
    private constructor(
        readonly scheme: string,
        readonly authority: string,
        readonly path: string,
        readonly query: string,
        readonly fragment: string,
        private readonly text: string,
    ) {}
    static parse(value: string): Uri {
        const colon = value.indexOf(':');
        const scheme = colon > 0 ? value.slice(0, colon) : 'file';
        if (scheme === 'file' || scheme === 'http' || scheme === 'https') {
            const url = new URL(value);
            return new Uri(
                scheme,
                url.host,
                decodeURIComponent(url.pathname),
                url.search.replace(/^\?/, ''),
                decodeURIComponent(url.hash.replace(/^#/, '')),
                url.href,
            );
        }
        return new Uri(scheme, '', value.slice(colon + 1), '', '', value);
    }
    static file(fsPath: string): Uri {
        return Uri.parse(pathToFileURL(fsPath).href);
    }
    get fsPath(): string {
        return this.scheme === 'file' ? fileURLToPath(this.text) : this.path;
    }
    with(): Uri {
        throw new Error('vscode stub: Uri.with is not implemented');
    }
    toString(): string {
        return this.text;
    }
    toJSON(): unknown {
        return { scheme: this.scheme, path: this.path, external: this.text };
    }
}

export class Position {
    constructor(readonly line: number, readonly character: number) {}
    isEqual(other: Position): boolean {
        return this.line === other.line && this.character === other.character;
    }
    isBefore(other: Position): boolean {
        return this.line < other.line || (this.line === other.line && this.character < other.character);
    }
}

export class Range {
    readonly start: Position;
    readonly end: Position;
    constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
        if (typeof a === 'number') {
            this.start = new Position(a, b as number);
            this.end = new Position(c as number, d as number);
        } else {
            this.start = a;
            this.end = b as Position;
        }
    }
    get isEmpty(): boolean {
        return this.start.isEqual(this.end);
    }
    contains(position: Position): boolean {
        return !position.isBefore(this.start) && !this.end.isBefore(position);
    }
}

export class Location {
    constructor(readonly uri: Uri, readonly range: Range) {}
}

export enum DiagnosticSeverity {
    Error = 0,
    Warning = 1,
    Information = 2,
    Hint = 3,
}

export enum DiagnosticTag {
    Unnecessary = 1,
    Deprecated = 2,
}

export class DiagnosticRelatedInformation {
    constructor(readonly location: Location, readonly message: string) {}
}

export class Diagnostic {
    code?: string | number | { value: string | number; target: Uri };
    source?: string;
    relatedInformation?: DiagnosticRelatedInformation[];
    tags?: DiagnosticTag[];
    constructor(
        public range: Range,
        public message: string,
        public severity: DiagnosticSeverity = DiagnosticSeverity.Error,
    ) {}
}

export class MarkdownString {
    isTrusted?: boolean;
    supportHtml?: boolean;
    constructor(public value = '', public supportThemeIcons = false) {}
    appendMarkdown(value: string): MarkdownString {
        this.value += value;
        return this;
    }
    appendText(value: string): MarkdownString {
        this.value += value;
        return this;
    }
    appendCodeblock(code: string, language = ''): MarkdownString {
        this.value += `\n\`\`\`${language}\n${code}\n\`\`\`\n`;
        return this;
    }
}

export class Hover {
    readonly contents: unknown[];
    constructor(contents: unknown, public range?: Range) {
        this.contents = Array.isArray(contents) ? contents : [contents];
    }
}

export class CodeActionKind {
    static readonly Empty = new CodeActionKind('');
    static readonly QuickFix = new CodeActionKind('quickfix');
    static readonly Refactor = new CodeActionKind('refactor');
    static readonly RefactorExtract = new CodeActionKind('refactor.extract');
    static readonly RefactorInline = new CodeActionKind('refactor.inline');
    static readonly RefactorMove = new CodeActionKind('refactor.move');
    static readonly RefactorRewrite = new CodeActionKind('refactor.rewrite');
    static readonly Source = new CodeActionKind('source');
    static readonly SourceOrganizeImports = new CodeActionKind('source.organizeImports');
    static readonly SourceFixAll = new CodeActionKind('source.fixAll');
    static readonly Notebook = new CodeActionKind('notebook');
    constructor(readonly value: string) {}
    append(part: string): CodeActionKind {
        return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
    }
    contains(other: CodeActionKind): boolean {
        return this.value === '' || other.value === this.value || other.value.startsWith(`${this.value}.`);
    }
    intersects(other: CodeActionKind): boolean {
        return this.contains(other) || other.contains(this);
    }
}

export enum CodeActionTriggerKind {
    Invoke = 1,
    Automatic = 2,
}

export class CodeAction {
    command?: { title: string; command: string; arguments?: unknown[] };
    edit?: WorkspaceEdit;
    diagnostics?: Diagnostic[];
    isPreferred?: boolean;
    constructor(public title: string, public kind?: CodeActionKind) {}
}

export class TextEdit {
    constructor(public range: Range, public newText: string) {}
    static insert(position: Position, newText: string): TextEdit {
        return new TextEdit(new Range(position, position), newText);
    }
    static replace(range: Range, newText: string): TextEdit {
        return new TextEdit(range, newText);
    }
}

export class WorkspaceEdit {
    private readonly edits = new Map<string, [Uri, TextEdit[]]>();
    private entry(uri: Uri): TextEdit[] {
        let found = this.edits.get(uri.toString());
        if (found === undefined) {
            found = [uri, []];
            this.edits.set(uri.toString(), found);
        }
        return found[1];
    }
    get size(): number {
        return this.edits.size;
    }
    set(uri: Uri, edits: TextEdit[]): void {
        this.entry(uri).splice(0, Infinity, ...edits);
    }
    replace(uri: Uri, range: Range, newText: string): void {
        this.entry(uri).push(new TextEdit(range, newText));
    }
    insert(uri: Uri, position: Position, newText: string): void {
        this.entry(uri).push(TextEdit.insert(position, newText));
    }
    delete(uri: Uri, range: Range): void {
        this.entry(uri).push(new TextEdit(range, ''));
    }
    get(uri: Uri): TextEdit[] {
        return this.edits.get(uri.toString())?.[1] ?? [];
    }
    has(uri: Uri): boolean {
        return this.edits.has(uri.toString());
    }
    entries(): [Uri, TextEdit[]][] {
        return [...this.edits.values()];
    }
}

export enum TextDocumentSaveReason {
    Manual = 1,
    AfterDelay = 2,
    FocusOut = 3,
}

export enum EndOfLine {
    LF = 1,
    CRLF = 2,
}

export enum ProgressLocation {
    SourceControl = 1,
    Window = 10,
    Notification = 15,
}

export enum FileType {
    Unknown = 0,
    File = 1,
    Directory = 2,
    SymbolicLink = 64,
}

export class RelativePattern {
    constructor(readonly base: string | { uri: Uri }, readonly pattern: string) {}
}

// Classes the client extends when it loads, or builds for features this server does not
// offer: present, and nothing more.
function placeholder(name: string): new (...args: unknown[]) => object {
    const created = class {
        constructor(...args: unknown[]) {
            Object.assign(this, { args });
        }
    };
    Object.defineProperty(created, 'name', { value: name });
    return created;
}
export const CodeLens = placeholder('CodeLens');
export const CompletionItem = placeholder('CompletionItem');
export const DocumentLink = placeholder('DocumentLink');
export const InlayHint = placeholder('InlayHint');
export const TypeHierarchyItem = placeholder('TypeHierarchyItem');
export const CallHierarchyItem = placeholder('CallHierarchyItem');
export const SymbolInformation = placeholder('SymbolInformation');

// ---- documents -------------------------------------------------------------------------

export class TextDocument {
    version = 1;
    isClosed = false;
    isDirty = false;
    readonly eol = EndOfLine.LF;
    constructor(readonly uri: Uri, readonly languageId: string, private text: string) {}
    get fileName(): string {
        return this.uri.fsPath;
    }
    get isUntitled(): boolean {
        return this.uri.scheme === 'untitled';
    }
    get lineCount(): number {
        return this.text.split('\n').length;
    }
    getText(range?: Range): string {
        if (range === undefined) {
            return this.text;
        }
        return this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
    }
    offsetAt(position: Position): number {
        const lines = this.text.split('\n');
        let offset = 0;
        for (let line = 0; line < position.line && line < lines.length; line++) {
            offset += lines[line].length + 1;
        }
        return Math.min(offset + position.character, this.text.length);
    }
    positionAt(offset: number): Position {
        const before = this.text.slice(0, offset).split('\n');
        return new Position(before.length - 1, before[before.length - 1].length);
    }
    lineAt(line: number): { text: string; range: Range } {
        const text = this.text.split('\n')[line] ?? '';
        return { text, range: new Range(line, 0, line, text.length) };
    }
    /** Replaces `range` with `text`, as an edit in the editor would. */
    edit(range: Range, text: string): { range: Range; rangeOffset: number; rangeLength: number; text: string } {
        const start = this.offsetAt(range.start);
        const end = this.offsetAt(range.end);
        this.text = this.text.slice(0, start) + text + this.text.slice(end);
        this.version += 1;
        return { range, rangeOffset: start, rangeLength: end - start, text };
    }
}

// ---- settings --------------------------------------------------------------------------

const packageJson = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
);
/** The contributed defaults (`web3audit.minSeverity` → ""), from package.json. */
const defaults = new Map<string, unknown>(
    Object.entries(packageJson.contributes.configuration.properties as Record<string, { default: unknown }>).map(
        ([key, schema]) => [key, schema.default],
    ),
);
/** What the tests set, over the defaults. */
const user = new Map<string, unknown>();

function lookup(key: string): unknown {
    if (user.has(key)) {
        return structuredClone(user.get(key));
    }
    if (defaults.has(key)) {
        return structuredClone(defaults.get(key));
    }
    // A section: the object of the settings below it, as VS Code gives it.
    const prefix = `${key}.`;
    const keys = new Set([...defaults.keys(), ...user.keys()].filter((k) => k.startsWith(prefix)));
    if (keys.size === 0) {
        return undefined;
    }
    const object: Record<string, unknown> = {};
    for (const full of keys) {
        const parts = full.slice(prefix.length).split('.');
        let at = object;
        for (const part of parts.slice(0, -1)) {
            at = (at[part] ??= {}) as Record<string, unknown>;
        }
        at[parts[parts.length - 1]] = lookup(full);
    }
    return object;
}

function configuration(section?: string): any {
    const full = (key: string) => (section ? `${section}.${key}` : key);
    return {
        get: (key: string, fallback?: unknown) => {
            const value = lookup(full(key));
            return value === undefined ? fallback : value;
        },
        has: (key: string) => lookup(full(key)) !== undefined,
        inspect: (key: string) => ({
            key: full(key),
            defaultValue: defaults.get(full(key)),
            globalValue: user.get(full(key)),
        }),
        update: async (key: string, value: unknown) => stub.setSetting(full(key), value),
    };
}

// ---- globs, for document filters -------------------------------------------------------

function globToRegExp(glob: string): RegExp {
    let out = '';
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (c === '*' && glob[i + 1] === '*') {
            i += 1;
            if (glob[i + 1] === '/') {
                i += 1;
                out += '(?:.*/)?';
            } else {
                out += '.*';
            }
        } else if (c === '*') {
            out += '[^/]*';
        } else if (c === '?') {
            out += '[^/]';
        } else if (c === '{') {
            out += '(?:';
        } else if (c === '}') {
            out += ')';
        } else if (c === ',') {
            out += '|';
        } else {
            out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
        }
    }
    return new RegExp(`^${out}$`);
}

function filterScore(filter: any, document: TextDocument): number {
    if (typeof filter === 'string') {
        return filter === document.languageId || filter === '*' ? 10 : 0;
    }
    if (filter.notebookType !== undefined) {
        return 0;
    }
    if (filter.language !== undefined && filter.language !== '*' && filter.language !== document.languageId) {
        return 0;
    }
    if (filter.scheme !== undefined && filter.scheme !== '*' && filter.scheme !== document.uri.scheme) {
        return 0;
    }
    if (filter.pattern !== undefined) {
        const pattern: string = typeof filter.pattern === 'string' ? filter.pattern : filter.pattern.pattern;
        const file = document.uri.fsPath.split(path.sep).join('/');
        if (!globToRegExp(pattern).test(file)) {
            return 0;
        }
    }
    return 10;
}

// ---- the recorded state ----------------------------------------------------------------

export class DiagnosticCollection {
    private readonly entries = new Map<string, [Uri, Diagnostic[]]>();
    constructor(readonly name: string) {
        stub.collections.push(this);
    }
    set(uri: Uri | [Uri, Diagnostic[] | undefined][], diagnostics?: Diagnostic[]): void {
        const pairs: [Uri, Diagnostic[] | undefined][] = Array.isArray(uri) ? uri : [[uri, diagnostics]];
        for (const [at, list] of pairs) {
            this.entries.set(at.toString(), [at, list ?? []]);
        }
        stub.changed.fire();
    }
    delete(uri: Uri): void {
        this.entries.delete(uri.toString());
        stub.changed.fire();
    }
    clear(): void {
        this.entries.clear();
        stub.changed.fire();
    }
    get(uri: Uri): Diagnostic[] | undefined {
        return this.entries.get(uri.toString())?.[1];
    }
    has(uri: Uri): boolean {
        return this.entries.has(uri.toString());
    }
    forEach(callback: (uri: Uri, diagnostics: Diagnostic[]) => void): void {
        this.entries.forEach(([uri, list]) => callback(uri, list));
    }
    dispose(): void {
        this.clear();
    }
}

interface Provider {
    kind: string;
    selector: unknown;
    provider: any;
}

const events = {
    configuration: new EventEmitter<{ affectsConfiguration(section: string): boolean }>(),
    open: new EventEmitter<TextDocument>(),
    close: new EventEmitter<TextDocument>(),
    change: new EventEmitter<unknown>(),
    save: new EventEmitter<TextDocument>(),
};

/** What the tests drive and read. */
export const stub = {
    documents: [] as TextDocument[],
    workspaceFolders: undefined as { uri: Uri; name: string; index: number }[] | undefined,
    collections: [] as DiagnosticCollection[],
    commands: new Map<string, (...args: unknown[]) => unknown>(),
    providers: [] as Provider[],
    /** Messages shown; one with buttons stays open (its promise pending) until `choose`. */
    messages: [] as { level: string; message: string; choose(item?: string): void }[],
    /** VS Code's own commands run (`workbench.…`), with their arguments. */
    executed: [] as unknown[][],
    external: [] as Uri[],
    shown: [] as Uri[],
    output: [] as string[],
    changed: new EventEmitter<void>(),

    setSetting(key: string, value: unknown): void {
        if (value === undefined) {
            user.delete(key);
        } else {
            user.set(key, value);
        }
        events.configuration.fire({
            affectsConfiguration: (section: string) =>
                section === key || key.startsWith(`${section}.`) || section.startsWith(`${key}.`),
        });
    },
    /** Opens a document: a file path, or a URI (`untitled:Untitled-1`). */
    open(file: string | Uri, languageId: string, text: string): TextDocument {
        const uri = typeof file === 'string' ? Uri.file(file) : file;
        const document = new TextDocument(uri, languageId, text);
        stub.documents.push(document);
        events.open.fire(document);
        return document;
    },
    edit(document: TextDocument, range: Range, text: string): void {
        const change = document.edit(range, text);
        document.isDirty = true;
        events.change.fire({ document, contentChanges: [change], reason: undefined });
    },
    close(document: TextDocument): void {
        stub.documents = stub.documents.filter((d) => d !== document);
        document.isClosed = true;
        events.close.fire(document);
    },
    /** The diagnostics published for `uri`, in any collection. */
    diagnostics(uri: Uri): Diagnostic[] | undefined {
        for (const collection of stub.collections) {
            const found = collection.get(uri);
            if (found !== undefined) {
                return found;
            }
        }
        return undefined;
    },
    provider(kind: string): any {
        const found = stub.providers.find((p) => p.kind === kind);
        if (found === undefined) {
            throw new Error(`no ${kind} provider was registered (have: ${stub.providers.map((p) => p.kind).join(', ')})`);
        }
        return found.provider;
    },
    /** Clears what a previous activation left, settings included. */
    reset(): void {
        user.clear();
        stub.documents = [];
        stub.collections = [];
        stub.commands.clear();
        stub.providers = [];
        stub.messages = [];
        stub.executed = [];
        stub.external = [];
        stub.shown = [];
        stub.output = [];
    },
};

function noEvent(): Disposable {
    return new Disposable(() => undefined);
}

function message(level: string) {
    return (text: string, ...items: unknown[]) =>
        new Promise<string | undefined>((resolve) => {
            stub.messages.push({ level, message: text, choose: resolve });
            stub.changed.fire();
            if (items.filter((item) => typeof item === 'string').length === 0) {
                resolve(undefined);
            }
        });
}

export const version = '1.82.0';

export const workspace = {
    get textDocuments() {
        return stub.documents;
    },
    get workspaceFolders() {
        return stub.workspaceFolders;
    },
    notebookDocuments: [],
    getConfiguration: configuration,
    getWorkspaceFolder: (uri: Uri) =>
        stub.workspaceFolders?.find((folder) => uri.fsPath.startsWith(folder.uri.fsPath + path.sep)),
    onDidChangeConfiguration: events.configuration.event,
    onDidOpenTextDocument: events.open.event,
    onDidCloseTextDocument: events.close.event,
    onDidChangeTextDocument: events.change.event,
    onDidSaveTextDocument: events.save.event,
    onWillSaveTextDocument: noEvent,
    onDidChangeWorkspaceFolders: noEvent,
    onDidOpenNotebookDocument: noEvent,
    onDidCloseNotebookDocument: noEvent,
    onDidChangeNotebookDocument: noEvent,
    onDidSaveNotebookDocument: noEvent,
    onDidCreateFiles: noEvent,
    onDidRenameFiles: noEvent,
    onDidDeleteFiles: noEvent,
    onWillCreateFiles: noEvent,
    onWillRenameFiles: noEvent,
    onWillDeleteFiles: noEvent,
    createFileSystemWatcher: () => ({
        onDidCreate: noEvent,
        onDidChange: noEvent,
        onDidDelete: noEvent,
        dispose: () => undefined,
    }),
    applyEdit: async () => false,
};

export const window = {
    activeTextEditor: undefined,
    visibleTextEditors: [],
    onDidChangeActiveTextEditor: noEvent,
    onDidChangeVisibleTextEditors: noEvent,
    tabGroups: { all: [], onDidChangeTabs: noEvent, onDidChangeTabGroups: noEvent },
    createOutputChannel: (name: string) => ({
        name,
        append: (value: string) => stub.output.push(value),
        appendLine: (value: string) => stub.output.push(value),
        replace: () => undefined,
        clear: () => undefined,
        show: () => undefined,
        hide: () => undefined,
        dispose: () => undefined,
    }),
    showErrorMessage: message('error'),
    showWarningMessage: message('warning'),
    showInformationMessage: message('information'),
    showTextDocument: async (uri: Uri) => {
        stub.shown.push(uri);
        stub.changed.fire();
        return undefined;
    },
    withProgress: async (_options: unknown, task: (progress: unknown, token: unknown) => unknown) =>
        task({ report: () => undefined }, new CancellationTokenSource().token),
};

// `register…Provider(selector, provider, …)`: recorded under the feature's name ("Hover").
export const languages: any = new Proxy(
    {
        createDiagnosticCollection: (name: string) => new DiagnosticCollection(name),
        match: (selector: unknown, document: TextDocument) => {
            const filters = Array.isArray(selector) ? selector : [selector];
            return Math.max(0, ...filters.map((filter) => filterScore(filter, document)));
        },
    } as Record<string, unknown>,
    {
        get(target, name) {
            if (typeof name === 'string' && name in target) {
                return target[name];
            }
            const kind = typeof name === 'string' ? /^register(.*?)Providers?$/.exec(name)?.[1] : undefined;
            if (kind === undefined) {
                throw new Error(`vscode stub: languages.${String(name)} is not implemented`);
            }
            return (selector: unknown, provider: unknown) => {
                const entry = { kind, selector, provider };
                stub.providers.push(entry);
                return new Disposable(() => {
                    stub.providers = stub.providers.filter((p) => p !== entry);
                });
            };
        },
    },
);

export const commands = {
    registerCommand: (name: string, callback: (...args: unknown[]) => unknown) => {
        if (stub.commands.has(name)) {
            throw new Error(`command '${name}' already exists`);
        }
        stub.commands.set(name, callback);
        return new Disposable(() => stub.commands.delete(name));
    },
    executeCommand: async (name: string, ...args: unknown[]) => {
        const callback = stub.commands.get(name);
        if (callback === undefined && name.startsWith('workbench.')) {
            stub.executed.push([name, ...args]);
            stub.changed.fire();
            return undefined;
        }
        if (callback === undefined) {
            throw new Error(`command '${name}' not found`);
        }
        return callback(...args);
    },
    getCommands: async () => [...stub.commands.keys()],
};

export const env = {
    appName: 'Visual Studio Code',
    appRoot: '',
    language: 'en',
    machineId: 'stub',
    sessionId: 'stub',
    uriScheme: 'vscode',
    openExternal: async (uri: Uri) => {
        stub.external.push(uri);
        stub.changed.fire();
        return true;
    },
};
