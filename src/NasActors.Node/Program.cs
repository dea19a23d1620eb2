using NasActors.Node.Commands.Bench;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("nas");
    config.AddBench();
});
return await app.RunAsync(args);
