using NasActors.Pbm;

var interactiveConsole = !Console.IsInputRedirected && !Console.IsOutputRedirected;
var app = new PbmApp(Console.In, Console.Out, Console.Error, interactiveConsole ? new ConsoleLineReader() : null);
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    app.Interrupt();
};
return await app.RunAsync(args);
