// What the wiring tests share: `require('vscode')` answered by the stub (strict: a name
// the stub lacks throws), the server binary, fixtures, and waiting for the stub's state.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as vscode from './vscode-stub';

// Names read by probing code (module interop, promise checks) that must not throw.
const probes = new Set<string | symbol>(['__esModule', 'default', 'then', 'toJSON']);

const strict = new Proxy(vscode as Record<string | symbol, unknown>, {
    get(target, name) {
        if (name in target || typeof name === 'symbol' || probes.has(name)) {
            return target[name];
        }
        throw new Error(`vscode stub: vscode.${String(name)} is not implemented`);
    },
});

const Module = require('module') as any;
const load = Module._load;
Module._load = function (request: string, ...rest: unknown[]) {
    if (request === 'vscode') {
        return strict;
    }
    return load.call(this, request, ...rest);
};

export { vscode };

/** The repository's root, above editors/vscode (this file runs from out/test). */
export const repositoryRoot = path.resolve(__dirname, '..', '..', '..', '..');

/** The `web3audit` binary under test: `WEB3AUDIT_BIN` (relative to the current folder),
 * else the repository's debug build. */
export function serverBinary(): string {
    const given = process.env.WEB3AUDIT_BIN;
    const bin = given
        ? path.resolve(given)
        : path.join(repositoryRoot, 'target', 'debug', 'web3audit');
    if (!fs.existsSync(bin)) {
        throw new Error(`no web3audit binary at ${bin}: build it, or set WEB3AUDIT_BIN`);
    }
    return bin;
}

/** A vulnerable contract: `tx.origin` used for authorisation on line 7 (`tx-origin-auth`). */
export const WALLET = `pragma solidity 0.8.24;

contract Wallet {
    address public owner;

    function withdraw(address payable to) external {
        require(tx.origin == owner);
        to.transfer(address(this).balance);
    }
}
`;

const fixtures: string[] = [];
process.on('exit', () => {
    for (const root of fixtures) {
        fs.rmSync(root, { recursive: true, force: true });
    }
});

/** A fresh folder with a Foundry project holding src/Wallet.sol, removed at exit. */
export function fixtureProject(): { root: string; wallet: string } {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'web3audit-vscode-')));
    fixtures.push(root);
    fs.mkdirSync(path.join(root, 'src'));
    fs.writeFileSync(path.join(root, 'foundry.toml'), '[profile.default]\nsrc = "src"\n');
    const wallet = path.join(root, 'src', 'Wallet.sol');
    fs.writeFileSync(wallet, WALLET);
    return { root, wallet };
}

/** Resolves with `check()`'s first value other than `undefined`, checked after every
 * change the stub records; rejects after `ms` with `what` and the last state. */
export function waitFor<T>(what: string, check: () => T | undefined, ms = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
        const first = check();
        if (first !== undefined) {
            resolve(first);
            return;
        }
        const timer = setTimeout(() => {
            subscription.dispose();
            const messages = JSON.stringify(vscode.stub.messages);
            const output = vscode.stub.output.slice(-20).join('\n');
            reject(new Error(`timed out waiting for ${what}; messages: ${messages}; output:\n${output}`));
        }, ms);
        const subscription = vscode.stub.changed.event(() => {
            const value = check();
            if (value !== undefined) {
                clearTimeout(timer);
                subscription.dispose();
                resolve(value);
            }
        });
    });
}

/** A minimal `ExtensionContext`: what `activate` uses. */
export function extensionContext(): { subscriptions: { dispose(): unknown }[]; dispose(): void } {
    const subscriptions: { dispose(): unknown }[] = [];
    return {
        subscriptions,
        dispose() {
            for (const item of subscriptions.splice(0)) {
                item.dispose();
            }
        },
    };
}
