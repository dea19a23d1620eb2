using Akka.Actor;
using Akka.Configuration;
using NasActors.Cluster.Hosting;
using NasActors.Pbm.Host;
using NasActors.Pbm.Protocol;

namespace NasActors.Integration.Tests;

/// <summary>Every command the README, deploy/README.md and docs/ show names a command, script, options and files that exist.</summary>
public sealed class DocumentedCommandsSpec : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("nas-docs-").FullName;
    private ActorSystem? _system;
    private DocumentedCommands.Checker _checker = null!;

    public async Task InitializeAsync()
    {
        // The palettes a `nas node` serves: the command host's own on a cluster node, plus the nas palette the node
        // registers (NasHosting); the host's TCP server stays off.
        _system = ActorSystem.Create("docs", ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            nas.pbm.enabled = off
            """));
        var palettes = CommandHost.Get(_system).Register(NasPalette.Create()).Palettes;
        _checker = new DocumentedCommands.Checker(NodeProcess.RepoRoot, _work, palettes);
        await Task.CompletedTask;
    }

    /// <summary>The README, the cluster guide it sends users to, and docs/.</summary>
    private static IEnumerable<string> Pages() =>
        new[] { "README.md", "deploy/README.md" }.Select(p => Path.Combine(NodeProcess.RepoRoot, p))
            .Concat(Directory.EnumerateFiles(Path.Combine(NodeProcess.RepoRoot, "docs"), "*.md").Order());

    private static IReadOnlyList<DocumentedCommands.Command> Commands(string page) =>
        DocumentedCommands.Parse(File.ReadAllText(page), Path.GetRelativePath(NodeProcess.RepoRoot, page));

    [Fact]
    public async Task Every_command_in_the_readme_and_docs_names_commands_options_and_files_that_exist()
    {
        var commands = Pages().SelectMany(Commands).ToList();
        var problems = (await Task.WhenAll(commands.Select(_checker.CheckAsync))).OfType<string>().ToList();
        Assert.True(problems.Count == 0, $"{problems.Count} of {commands.Count} documented commands do not hold:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void The_readme_shows_the_quickstart_and_the_test_command_in_its_code_blocks()
    {
        var readme = Commands(Path.Combine(NodeProcess.RepoRoot, "README.md"));
        Assert.Contains(readme, c => c.Program == DocumentedCommands.Program.Nas && c.Arguments.SequenceEqual(["quickstart"])
                                     && c.Text == "dotnet run -c Release --project src/NasActors.Node -- quickstart");
        Assert.Contains(readme, c => c.Text == "dotnet test NasActors.sln");
    }

    [Theory]
    [InlineData("nas quickstrat", "`nas quickstrat --help` exited")]
    [InlineData("dotnet run -c Release --project src/NasActors.Node -- bench-actor", "`nas bench-actor --help` exited")]
    [InlineData("nas train --stesp 10", "option --stesp is not in `nas train --help`")]
    [InlineData("nas submit hocon/specs/nope.conf", "'hocon/specs/nope.conf' does not exist")]
    [InlineData("pbm 127.0.0.1:9110 clustr show", "unknown palette 'clustr'")]
    [InlineData("pbm nas top -k 3", "missing mandatory switch")]
    [InlineData("deploy/local-cluster.sh strat -n 2", "`deploy/local-cluster.sh strat --help` exited 2")]
    [InlineData("deploy/local-cluster.sh start --nodes 2", "option --nodes is not in `deploy/local-cluster.sh start --help`")]
    [InlineData("deploy/gpu/nope.sh", "'deploy/gpu/nope.sh' does not exist")]
    public async Task A_command_that_does_not_exist_is_reported_naming_what_is_wrong(string line, string expected)
    {
        var commands = DocumentedCommands.Parse($"```sh\n{line}\n```\n", "page.md");
        var problem = await _checker.CheckAsync(Assert.Single(commands));
        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
        Assert.StartsWith("page.md:2: ", problem);
    }

    [Fact]
    public void Transcripts_yield_their_prompted_commands_and_not_their_output()
    {
        var commands = DocumentedCommands.Parse("""
            ```console
            $ NAS_X=1 nas node --port 4053 \
                --set "nas.backend = stub"   # a comment
            nas node up at 127.0.0.1:4053
            [127.0.0.1:9110] pbm> cluster show
            [127.0.0.1:9110] pbm> exit
            $ pbm nas show -s nope; echo $?
            ```
            ```text
            nas bogus
            ```
            """, "page.md");
        Assert.Equal(
            [
                (DocumentedCommands.Program.Nas, "node --port 4053 --set nas.backend = stub"),
                (DocumentedCommands.Program.PbmPrompt, "cluster show"),
                (DocumentedCommands.Program.Pbm, "nas show -s nope"),
                (DocumentedCommands.Program.Other, "echo $?"),
            ],
            commands.Select(c => (c.Program, string.Join(' ', c.Arguments))));
    }

    public async Task DisposeAsync()
    {
        if (_system is not null) await _system.Terminate();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }
}
