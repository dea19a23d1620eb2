using NasActors.Pbm;

var interactiveConsole = !Console.IsInputRedirected && !Console.IsOutputRedirected;
var app = new PbmApp(Console.In, Console.Out, Console.Error, interactiveConsole ? new ConsoleLineReader() : null);
// Ctrl+C stops a running command (pbm goes on: back to the prompt, or exit 0 after a one-shot stream). With no
// command running it ends the session; when no line editor can notice that (input not a terminal), the process ends.
Console.CancelKeyPress += (_, e) => e.Cancel = app.Interrupt() || interactiveConsole;
return await app.RunAsync(args);
