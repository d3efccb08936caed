// The stratlang VS Code extension: the TextMate grammar does the colours; this starts the
// language server (`stratlang lsp`, on stdio) for diagnostics, hover, navigation, completion,
// rename and formatting. Needs `npm install` (vscode-languageclient) before it is loaded.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("stratlang");
  const command = config.get("server.command", "stratlang");
  const args = config.get("server.args", ["lsp"]);
  const serverOptions = {
    run: { command, args, transport: TransportKind.stdio },
    debug: { command, args, transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "stratlang" }, { scheme: "untitled", language: "stratlang" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.strat") },
  };
  client = new LanguageClient("stratlang", "stratlang language server", serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `stratlang: could not start \`${command} ${args.join(" ")}\` (${err.message}). ` +
        "Install stratlang (pip install stratlang) or set stratlang.server.command."
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
