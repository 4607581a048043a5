// Unit tests of what the extension derives from its settings (src/settings.ts), and of
// package.json's settings against it.

import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';

import {
    SEVERITIES,
    documentSelector,
    initializationOptions,
    resolveServerPath,
    serverExecutable,
    serverSettings,
} from '../src/settings';

const packageJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
const properties: Record<string, { default: unknown; enum?: unknown[] }> =
    packageJson.contributes.configuration.properties;

function defaults(): Record<string, unknown> {
    return {
        path: properties['web3audit.path'].default,
        minSeverity: properties['web3audit.minSeverity'].default,
        detectors: {
            include: properties['web3audit.detectors.include'].default,
            exclude: properties['web3audit.detectors.exclude'].default,
        },
        documentationUrl: properties['web3audit.documentationUrl'].default,
        debounceMs: properties['web3audit.debounceMs'].default,
    };
}

test('the defaults send only what the server defaults to anyway', () => {
    assert.deepEqual(initializationOptions(defaults()), {
        web3audit: { detectors: { include: [], exclude: [] }, debounceMs: 50 },
    });
});

test('set values reach the server under their names', () => {
    const settings = serverSettings({
        path: '/opt/web3audit',
        minSeverity: 'High',
        detectors: { include: [' tx-origin-auth ', 'reentrancy', 'tx-origin-auth', ''], exclude: ['floating-pragma'] },
        documentationUrl: ' https://example.org/detectors.html ',
        debounceMs: 200,
    });
    assert.deepEqual(settings, {
        minSeverity: 'high',
        detectors: { include: ['tx-origin-auth', 'reentrancy'], exclude: ['floating-pragma'] },
        documentationUrl: 'https://example.org/detectors.html',
        debounceMs: 200,
    });
    assert.equal('path' in settings, false, 'the binary path is the extension\'s, not the server\'s');
});

test('values of the wrong shape are left out, an unknown severity is passed on', () => {
    assert.deepEqual(
        serverSettings({ minSeverity: 3, detectors: 'all', documentationUrl: '', debounceMs: -5 }),
        { detectors: { include: [], exclude: [] } },
    );
    assert.deepEqual(serverSettings({ detectors: { include: 'x', exclude: [1, 'a'] }, debounceMs: 2.5 }), {
        detectors: { include: [], exclude: ['a'] },
    });
    assert.equal(serverSettings({ minSeverity: 'severe' }).minSeverity, 'severe');
    assert.deepEqual(serverSettings({}), { detectors: { include: [], exclude: [] } });
});

test('package.json offers every severity the server reads, and "not set"', () => {
    assert.deepEqual(properties['web3audit.minSeverity'].enum, ['', ...SEVERITIES]);
    for (const key of [
        'web3audit.path',
        'web3audit.minSeverity',
        'web3audit.detectors.include',
        'web3audit.detectors.exclude',
        'web3audit.documentationUrl',
        'web3audit.debounceMs',
        'web3audit.trace.server',
    ]) {
        assert.ok(key in properties, `${key} is not contributed`);
    }
});

test('the server path: a name on PATH, home, workspace folder, absolute', () => {
    const context = { workspaceFolders: ['/work/project', '/work/other'], home: '/home/dev' };
    assert.equal(resolveServerPath(undefined, context), 'web3audit');
    assert.equal(resolveServerPath('  ', context), 'web3audit');
    assert.equal(resolveServerPath(42, context), 'web3audit');
    assert.equal(resolveServerPath('web3audit-nightly', context), 'web3audit-nightly');
    assert.equal(resolveServerPath('/usr/local/bin/web3audit', context), '/usr/local/bin/web3audit');
    assert.equal(resolveServerPath('~/bin/web3audit', context), '/home/dev/bin/web3audit');
    assert.equal(resolveServerPath('target/debug/web3audit', context), '/work/project/target/debug/web3audit');
    assert.equal(resolveServerPath('./web3audit', context), '/work/project/web3audit');
    assert.equal(
        resolveServerPath('${workspaceFolder}/target/release/web3audit', context),
        '/work/project/target/release/web3audit',
    );
    const alone = { workspaceFolders: [], home: os.homedir() };
    assert.equal(resolveServerPath('bin/web3audit', alone), path.resolve('bin/web3audit'));
});

test('the server runs as `<path> lsp`', () => {
    assert.deepEqual(serverExecutable('/opt/web3audit'), { command: '/opt/web3audit', args: ['lsp'] });
});

test('the document selector covers Solidity and Vyper, files and unsaved buffers', () => {
    const selector = documentSelector();
    for (const language of ['solidity', 'vyper']) {
        for (const scheme of ['file', 'untitled']) {
            assert.ok(
                selector.some((f) => 'language' in f && f.language === language && f.scheme === scheme),
                `${language} ${scheme}`,
            );
        }
    }
    assert.ok(selector.some((f) => 'pattern' in f && f.scheme === 'file' && f.pattern.includes('vy')));
});
