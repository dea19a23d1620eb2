using System.Text.Json;
using System.Text.RegularExpressions;

namespace NasActors.Integration.Tests;

/// <summary>
/// The built `nas` as a user runs it: bad input is refused before any work with exit code 2 and one line
/// `nas: ...` on standard error naming the option or key and the value, nothing on standard output and no file
/// written; an unreachable node is 3; a command that ran and failed is 1; results stay on standard output.
/// </summary>
public sealed class NasCommandLineSpec : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nas-cli-").FullName;

    private async Task<(int Code, string Out, string Error)> Nas(string folder, params string[] arguments)
    {
        using var nas = NodeProcess.Nas(folder, arguments);
        var exit = await nas.WaitForExitAsync(TimeSpan.FromMinutes(2));
        return (exit, nas.StandardOutput, nas.StandardError);
    }

    // Spectre.Console wraps long lines at the console width: compare with every run of white space as one space.
    private static string Flat(string s) => Regex.Replace(s, @"\s+", " ").Trim();

    [Theory]
    [InlineData("unknown option --stepz; did you mean --steps?", "train", "--stepz", "3")]
    [InlineData("--lr 'NaN': must be a finite number", "train", "--lr", "nan", "--steps", "1")]
    [InlineData("--threads '10000': must be in [0, ", "train", "--threads", "10000", "--steps", "1")]
    [InlineData("--checkpoint-every '-1': must be at least 0", "train", "--checkpoint-every", "-1", "--steps", "1")]
    [InlineData("--path-workers '-1': must be in [0, ", "train", "--path-workers", "-1", "--steps", "1")]
    [InlineData("--host-memory 'jemalloc': not one of retain, system", "train", "--host-memory", "jemalloc", "--steps", "1")]
    [InlineData("--layout 'nchw': not one of channels-last, contiguous", "benchmark-step", "--layout", "nchw")]
    [InlineData("--path-workers 2: benchmark-step times one path at a time", "benchmark-step", "--path-workers", "2")]
    [InlineData("--top '-2': must be at least 0", "score", "-c", "missing.nasckpt", "--sample", "3", "--top", "-2")]
    [InlineData("--format 'gif': not one of svg, png", "export", "s1", "--format", "gif")]
    [InlineData("--controller 'random,,': has an empty item", "bench", "-t", "t.csv", "-s", "valid12", "--controller", "random,,")]
    [InlineData("--port 'abc': not a whole number", "node", "--port", "abc")]
    [InlineData("--seeds '99999999999': not a whole number in", "bench", "-t", "t.csv", "-s", "valid12", "--seeds", "99999999999")]
    [InlineData("--id '../../etc/passwd': must start with a letter or digit", "submit", "spec.conf", "--id", "../../etc/passwd")]
    [InlineData("--id '': is empty", "submit", "spec.conf", "--id", "")]
    [InlineData("configuration: nas.prot: unknown key; did you mean nas.port?", "node", "--set", "nas.prot = 4060")]
    [InlineData("nas.evaluators: 'many' is malformed", "node", "--port", "0", "--set", "nas.evaluators = many")]
    public async Task Bad_input_is_refused_with_exit_code_2_on_standard_error_and_nothing_is_written(string expected, params string[] arguments)
    {
        var (code, stdout, stderr) = await Nas(_root, arguments);
        Assert.Equal(2, code);
        Assert.StartsWith("nas: ", stderr);
        Assert.Contains(expected, Flat(stderr));
        Assert.DoesNotContain("   at ", stderr); // no stack trace
        Assert.Equal("", stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task An_unknown_key_in_a_configuration_file_is_refused_before_the_node_starts()
    {
        var conf = Path.Combine(_root, "node.conf");
        File.WriteAllText(conf, "nas { evaluatrs = 2 }\n");
        var (code, stdout, stderr) = await Nas(_root, "node", "--config", conf, "--port", "0");
        Assert.Equal(2, code);
        Assert.Contains("nas.evaluatrs: unknown key; did you mean nas.evaluators?", Flat(stderr));
        Assert.Equal("", stdout);
        Assert.Equal([conf], Directory.EnumerateFileSystemEntries(_root)); // no journal, no data folder
    }

    [Fact]
    public async Task A_spec_listing_an_architecture_outside_its_space_is_refused_naming_the_key_and_the_entry()
    {
        var spec = Path.Combine(_root, "spec.conf");
        File.WriteAllText(spec, """
            search {
              space = fmnist-mbconv
              budget = 4
              controller { name = random }
              evaluation { kind = stub, fail-architectures = ["0123"] }
            }
            """);
        // No node at this port: the spec is refused before any connection is tried.
        var (code, _, stderr) = await Nas(_root, "submit", spec, "--node", $"127.0.0.1:{NodeProcess.FreePort()}", "--id", "s1");
        Assert.Equal(2, code);
        Assert.Contains("search.evaluation.fail-architectures[0]", stderr);
        Assert.Contains("'0123'", stderr);
    }

    [Fact]
    public async Task A_node_that_cannot_be_reached_is_exit_code_3()
    {
        var (code, stdout, stderr) = await Nas(_root, "status", "--node", $"127.0.0.1:{NodeProcess.FreePort()}", "--timeout", "2");
        Assert.Equal(3, code);
        Assert.StartsWith("nas: no answer from a node at 127.0.0.1:", stderr);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task A_command_that_ran_and_failed_is_exit_code_1_and_results_stay_on_standard_output()
    {
        using var node = new NodeProcess(Path.Combine(_root, "node"), NodeProcess.FreePort());
        await node.WaitForOutputAsync("nas node up", TimeSpan.FromMinutes(1));
        var address = $"127.0.0.1:{node.Port}";

        var (missing, missingOut, missingError) = await Nas(_root, "status", "nope", "--node", address);
        Assert.Equal(1, missing);
        Assert.Equal("nas: no such search: nope", missingError.Trim());
        Assert.Equal("", missingOut);

        var (listed, json, listError) = await Nas(_root, "status", "--json", "--node", address);
        Assert.Equal(0, listed);
        Assert.Equal("", listError);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(json).RootElement.ValueKind);
    }

    [Fact]
    public async Task Resuming_a_checkpoint_at_or_past_the_steps_asked_for_is_refused_and_writes_nothing()
    {
        var (trained, json, _) = await Nas(_root, "train", "--steps", "2", "--batch-size", "8", "--method", "spos", "--out", "first", "--json");
        Assert.Equal(0, trained);
        var checkpoint = JsonDocument.Parse(json).RootElement.GetProperty("checkpoint").GetString()!;
        foreach (var steps in new[] { "1", "2" })
        {
            var (code, stdout, stderr) = await Nas(_root, "train", "--resume", Path.Combine(_root, checkpoint), "--steps", steps,
                "--batch-size", "8", "--method", "spos", "--out", "second");
            Assert.Equal(2, code);
            Assert.Contains($"--steps {steps}: the checkpoint given to --resume is at step 2 already", Flat(stderr));
            Assert.Equal("", stdout);
            Assert.False(Directory.Exists(Path.Combine(_root, "second")));
        }
    }

    [Fact]
    public async Task Resuming_with_other_data_or_options_is_refused_naming_the_option_and_the_same_ones_continue()
    {
        var (trained, json, _) = await Nas(_root, "train", "--steps", "2", "--batch-size", "8", "--method", "spos", "--out", "first", "--json");
        Assert.Equal(0, trained);
        var checkpoint = Path.Combine(_root, JsonDocument.Parse(json).RootElement.GetProperty("checkpoint").GetString()!);
        string[] same = ["train", "--resume", checkpoint, "--steps", "3", "--method", "spos"];
        foreach (var (other, named) in new[]
                 {
                     (new[] { "--batch-size", "4" }, "--batch-size 8, this run asks for 4"),
                     (["--batch-size", "8", "--seed", "2"], "--seed 1, this run asks for 2"),
                     (["--batch-size", "8", "--dataset", "synthetic"], "--dataset fmnist-embedded, this run asks for synthetic"),
                     (["--batch-size", "8", "--lr", "0.5"], "--lr 0.1, this run asks for 0.5"),
                 })
        {
            var (code, stdout, stderr) = await Nas(_root, [.. same, .. other, "--out", "second"]);
            Assert.Equal(2, code);
            Assert.Contains($"--resume: the checkpoint was trained with {named}", Flat(stderr));
            Assert.Equal("", stdout);
            Assert.False(Directory.Exists(Path.Combine(_root, "second")));
        }
        var (resumed, output, _) = await Nas(_root, [.. same, "--batch-size", "8", "--out", "second", "--json"]);
        Assert.Equal(0, resumed);
        Assert.Equal(3, JsonDocument.Parse(output).RootElement.GetProperty("steps").GetInt64());
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
