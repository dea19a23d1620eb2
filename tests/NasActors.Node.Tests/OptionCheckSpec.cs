using System.Reflection;
using NasActors.Node.Commands.Input;
using Spectre.Console.Cli;

namespace NasActors.Node.Tests;

/// <summary>A command that does nothing: the command line is parsed, converted and checked, and nothing runs.</summary>
public sealed class NoOp<T> : Command<T> where T : CommandSettings
{
    public override int Execute(CommandContext context, T settings, CancellationToken cancellationToken) => 0;
}

/// <summary>
/// Every option of every `nas` command, through the real command table (NasApp) with commands that do nothing: what
/// is refused, with which message and exit code, and that the defaults and ordinary values are accepted.
/// </summary>
public sealed class OptionCheckSpec
{
    private const string LongName = "runs/" +
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" +
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    private const string LongPath = LongName + "/" + LongName + "/" + LongName + "/" + LongName + "/" + LongName + "/" + LongName + "/" +
                                    LongName + "/" + LongName + "/" + LongName + "/" + LongName + "/" + LongName + "/" + LongName + "/" +
                                    LongName + "/" + LongName + "/" + LongName + "/" + LongName + "/" + LongName;

    public static (int Code, string Error) Run(params string[] args)
    {
        var error = new StringWriter();
        var code = NasApp.RunAsync(args, error, e => typeof(NoOp<>).MakeGenericType(e.Settings)).GetAwaiter().GetResult();
        return (code, error.ToString());
    }

    /// <summary>The least each command needs; every command of the table is here (a new one must be added).</summary>
    private static readonly Dictionary<string, string[]> Minimal = new()
    {
        ["quickstart"] = [], ["node"] = [], ["submit"] = ["spec.conf"], ["status"] = [], ["pause"] = ["s1"], ["resume"] = ["s1"],
        ["cancel"] = ["s1"], ["export"] = ["s1"], ["train"] = [], ["score"] = ["--checkpoint", "c.nasckpt", "--arch", "0123"],
        ["retrain"] = ["--arch", "0123"], ["rank-study"] = [], ["method-study"] = [], ["spaces"] = [], ["bench"] = ["--table", "t.csv", "--signal", "valid12"],
        ["benchmark-step"] = [], ["bench-actors"] = [], ["doctor"] = [], ["bench-recovery"] = [], ["latency-table"] = [], ["benchmark-methods"] = [],
        ["bench-partitions"] = [],
    };

    public static TheoryData<string> CommandNames() => new(NasApp.Commands.Select(c => c.Name));

    [Fact]
    public void Every_option_of_every_command_carries_a_check()
    {
        var unchecked_ = new List<string>();
        foreach (var entry in NasApp.Commands)
            foreach (var p in entry.Settings.GetProperties())
            {
                var isParameter = p.GetCustomAttribute<CommandOptionAttribute>() is not null || p.GetCustomAttribute<CommandArgumentAttribute>() is not null;
                if (!isParameter || p.PropertyType == typeof(bool)) continue;
                if (!p.GetCustomAttributes<OptionCheckAttribute>().Any()) unchecked_.Add($"{entry.Name}: {entry.Settings.Name}.{p.Name}");
            }
        Assert.Empty(unchecked_);
    }

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void Every_command_accepts_its_defaults(string command)
    {
        Assert.True(Minimal.ContainsKey(command), $"add '{command}' to Minimal");
        var (code, error) = Run([command, .. Minimal[command]]);
        Assert.Equal("", error);
        Assert.Equal(0, code);
    }

    [Theory]
    [InlineData("train", "--steps", "3", "--lr", "0.05", "--momentum", "0", "--threads", "2", "--path-workers", "1", "--device", "cuda:0",
        "--method", "SPOS", "--flops-bands", "3", "--warmup", "2", "--checkpoint-every", "1", "--seed", "0", "--validation-fraction", "0.5")]
    [InlineData("score", "-c", "c.nasckpt", "--sample", "5", "--top", "3", "--seed", "7")]
    [InlineData("node", "--port", "0", "--role", "trainer", "--role", "evaluator", "--set", "nas.evaluators = 2", "--set", "akka.loglevel=INFO",
        "--set", "nas.pbm { port = 0 }")]
    [InlineData("submit", "spec.conf", "--id", "my-search_1.v2", "--node", "localhost:4053", "--timeout", "0.5")]
    [InlineData("bench", "-t", "t.csv", "-s", "v", "-c", "random, nsga2", "--seeds", "3", "--first-seed", "10", "--set", "nsga2:population=4",
        "--max", "params=1.5", "--curve-out=-")]
    [InlineData("rank-study", "--name", "study-1", "--architectures", "4", "--level", "0.9", "--node", "[::1]:4053")]
    [InlineData("bench-actors", "--skip", "throughput,recovery", "--cost", "0", "--evaluators", "2")]
    [InlineData("train", "--method", "proxylessnas", "--latency-table", "t.json", "--latency-reference", "0.5", "--latency-unit", "0.1")]
    [InlineData("benchmark-methods", "--space", "fairnas-mbconv", "--dataset", "synthetic", "--steps", "2", "--exclude-first-step", "--method-timeout", "20",
        "--markdown", "out/m.md")]
    public void Ordinary_values_are_accepted(params string[] args)
    {
        var (code, error) = Run(args);
        Assert.Equal("", error);
        Assert.Equal(0, code);
    }

    [Theory]
    // Unknown options and commands name the nearest known one.
    [InlineData("unknown option --stepz; did you mean --steps?", "train", "--stepz", "3")]
    [InlineData("unknown option --batchsize; did you mean --batch-size?", "retrain", "--arch", "0", "--batchsize", "3")]
    [InlineData("unknown option --ide; did you mean --id?", "submit", "s.conf", "--ide", "x")]
    [InlineData("unknown option --formt; did you mean --format?", "export", "s1", "--formt=png")]
    [InlineData("unknown command 'trian'; did you mean train?", "trian")]
    [InlineData("-o needs a value", "train", "-o")]
    [InlineData("--lr needs a value", "train", "--lr", "--steps", "3")]
    [InlineData("--out needs a value", "export", "s1", "--out")]
    [InlineData("unknown option -x", "train", "-x")]
    // Numbers: finite, in range, whole where whole.
    [InlineData("--lr 'NaN': must be a finite number", "train", "--lr", "nan")]
    [InlineData("--lr 'Infinity': must be a finite number", "retrain", "--arch", "0", "--lr", "Infinity")]
    [InlineData("--lr '0': must be more than 0", "train", "--lr", "0")]
    [InlineData("--threads '10000': must be in [0, ", "train", "--threads", "10000")]
    [InlineData("--path-workers '-1': must be in [0, ", "score", "-c", "c", "-a", "0", "--path-workers", "-1")]
    [InlineData("--checkpoint-every '-1': must be at least 0", "train", "--checkpoint-every", "-1")]
    [InlineData("--steps '0': must be at least 1", "train", "--steps", "0")]
    [InlineData("--warmup 5: must be less than --steps (5)", "train", "--steps", "5", "--warmup", "5")]
    [InlineData("--flops-bands 2: applies to --method spos only", "train", "--flops-bands", "2")]
    [InlineData("--validation-fraction '1': must be in (0, 1)", "train", "--validation-fraction", "1")]
    [InlineData("--latency-reference '0': must be more than 0", "train", "--method", "proxylessnas", "--latency-table", "t.json", "--latency-reference", "0")]
    [InlineData("--latency-reference 'NaN': must be a finite number", "train", "--method", "proxylessnas", "--latency-table", "t.json", "--latency-reference", "nan")]
    [InlineData("--latency-reference 'Infinity': must be a finite number", "train", "--method", "proxylessnas", "--latency-table", "t.json", "--latency-reference", "Infinity")]
    [InlineData("--latency-reference 5: applies to --method proxylessnas only", "train", "--method", "fbnet", "--latency-table", "t.json", "--latency-reference", "5")]
    [InlineData("--latency-reference 5: needs --latency-table", "train", "--method", "proxylessnas", "--latency-reference", "5")]
    [InlineData("--latency-unit '-1': must be more than 0", "train", "--method", "fbnet", "--latency-unit", "-1")]
    [InlineData("--latency-unit 0.1: applies to --method fbnet and proxylessnas only", "train", "--method", "spos", "--latency-unit", "0.1")]
    [InlineData("--exclude-first-step: needs --steps 2 or more, got 1", "benchmark-methods", "--steps", "1", "--exclude-first-step")]
    [InlineData("--method-timeout '0': must be in [1, 86400]", "benchmark-methods", "--method-timeout", "0")]
    [InlineData("--momentum '1': must be in [0, 1)", "train", "--momentum", "1")]
    [InlineData("--seed '-3': must be at least 0", "quickstart", "--seed", "-3")]
    [InlineData("--candidates '0': must be at least 1", "quickstart", "--candidates", "0")]
    [InlineData("--top '-2': must be at least 0", "score", "-c", "c", "-a", "0", "--top", "-2")]
    [InlineData("--sample '-1': must be at least 0", "score", "-c", "c", "--sample", "-1")]
    [InlineData("--recalibration-batch-size '0': must be in [1, 65536]", "score", "-c", "c", "-a", "0", "--recalibration-batch-size", "0")]
    [InlineData("--epochs '0': must be in [1, 10000]", "retrain", "--arch", "0", "--epochs", "0")]
    [InlineData("--port 'abc': not a whole number", "node", "--port", "abc")]
    [InlineData("--port '70000': must be in [0, 65535]", "node", "--port", "70000")]
    [InlineData("--seeds '99999999999': not a whole number in [-2147483648, 2147483647]", "bench", "-t", "t", "-s", "v", "--seeds", "99999999999")]
    [InlineData("--seeds '0': must be in [1, 1000000]", "bench", "-t", "t", "-s", "v", "--seeds", "0")]
    [InlineData("--budget '0': must be in [1, 1000000]", "bench", "-t", "t", "-s", "v", "--budget", "0")]
    [InlineData("--first-seed '-1': must be at least 0", "bench", "-t", "t", "-s", "v", "--first-seed", "-1")]
    [InlineData("--cost '-1': must be in [0, 3600]", "bench-actors", "--cost", "-1")]
    [InlineData("--evaluators '0': must be in [1, ", "bench-actors", "--evaluators", "0")]
    [InlineData("--level '1': must be in (0, 1)", "rank-study", "--level", "1")]
    [InlineData("--architectures '1': must be in [2, 10000]", "rank-study", "-k", "1")]
    [InlineData("--seeds '1': must be in [2, 20]", "method-study", "--seeds", "1")]
    [InlineData("--methods 'spos,nope': 'nope' is not one of spos, fairnas", "method-study", "--methods", "spos,nope")]
    [InlineData("--method-learning-rate 'darts=-1': method-study --method-learning-rate: 'darts=-1' is not METHOD=LR", "method-study", "--method-learning-rate", "darts=-1")]
    [InlineData("--rounds '0': must be at least 1", "benchmark-step", "--rounds", "0")]
    [InlineData("--timeout '0': must be more than 0", "status", "--timeout", "0")]
    // Words from a fixed set, with the nearest.
    [InlineData("--method 'sgd': not one of spos, fairnas", "train", "--method", "sgd")]
    [InlineData("--decay 'step': not one of cosine, linear", "train", "--decay", "step")]
    [InlineData("--device 'gpu': use cpu, cuda, cuda:N or auto", "train", "--device", "gpu")]
    [InlineData("--host-memory 'jemalloc': not one of retain, system", "train", "--host-memory", "jemalloc")]
    [InlineData("--space 'fmnist-mbconvv': not one of", "train", "--space", "fmnist-mbconvv")]
    [InlineData("did you mean fmnist-mbconv?", "quickstart", "--space", "fmnist-mbconvv")]
    [InlineData("--dataset 'mnist': not one of fmnist-embedded, fmnist, cifar10", "rank-study", "--dataset", "mnist")]
    [InlineData("<SPACE> 'nope': not one of", "spaces", "nope")]
    [InlineData("--format 'gif': not one of svg, png", "export", "s1", "--format", "gif")]
    [InlineData("--role 'boss': not one of controller, trainer, evaluator", "node", "--role", "boss")]
    [InlineData("--preset 'tpu': not one of cpu, gpu", "rank-study", "--preset", "tpu")]
    [InlineData("--layout 'nchw': not one of channels-last, contiguous", "benchmark-step", "--layout", "nchw")]
    [InlineData("--path-workers 2: benchmark-step times one path at a time", "benchmark-step", "--path-workers", "2")]
    [InlineData("--skip 'warmup': 'warmup' is not one of throughput, overhead, recovery", "bench-actors", "--skip", "warmup")]
    // Lists: no empty items, known names.
    [InlineData("--controller 'random,,': has an empty item", "bench", "-t", "t", "-s", "v", "--controller", "random,,")]
    [InlineData("'randm' is not one of random, evolution", "bench", "-t", "t", "-s", "v", "--controller", "randm")]
    [InlineData("did you mean random?", "bench", "-t", "t", "-s", "v", "--controller", "randm")]
    [InlineData("--set 'population': is not key=value", "bench", "-t", "t", "-s", "v", "--set", "population")]
    [InlineData("--max 'latency=': is not key=value", "bench", "-t", "t", "-s", "v", "--max", "latency=")]
    [InlineData("--set 'nas.port': is not key=value (e.g. nas.port=4054)", "node", "--set", "nas.port")]
    [InlineData("--set '': is not key=value", "node", "--set", "")]
    // HOCON overrides that Akka's parser would take silently (an override that does nothing): the files' syntax check.
    [InlineData("--set 'nas { port = 4054': line 1: '{' is not closed", "node", "--set", "nas { port = 4054")]
    [InlineData("--set 'garbage{{': line 1: '{' is not closed", "node", "--set", "garbage{{")]
    [InlineData("--set 'nas.port = 4054 }': line 1: '}' closes nothing", "status", "--set", "nas.port = 4054 }")]
    [InlineData("--set 'nas.port = \"4054': line 1: a string is not closed", "rank-study", "--node", "127.0.0.1:4053", "--set", "nas.port = \"4054")]
    // Ids and paths: traversal, absolute paths, NUL, very long names, empty.
    [InlineData("--id '../../etc/passwd': must start with a letter or digit", "submit", "s.conf", "--id", "../../etc/passwd")]
    [InlineData("--id 'a/../../x': holds '/'", "submit", "s.conf", "--id", "a/../../x")]
    [InlineData("--id '/etc/passwd': must start with a letter or digit", "submit", "s.conf", "--id", "/etc/passwd")]
    [InlineData("--id 'a..b': holds '..'", "submit", "s.conf", "--id", "a..b")]
    [InlineData("--id 'a\\u0000b': holds '\\u0000'", "submit", "s.conf", "--id", "a\0b")]
    [InlineData("--id '': is empty", "submit", "s.conf", "--id", "")]
    [InlineData("is 65 characters long (at most 64)", "submit", "s.conf", "--id", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("<SEARCH-ID> '../x': must start with a letter or digit", "pause", "../x")]
    [InlineData("<SEARCH-ID> 'a b': holds ' '", "export", "a b")]
    [InlineData("<SEARCH-ID> '.hidden': must start with a letter or digit", "status", ".hidden")]
    [InlineData("--name '../study': must start with a letter or digit", "rank-study", "--name", "../study")]
    [InlineData("--name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': is longer than 40 characters", "rank-study", "--name", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("--out 'runs\\u0000x': holds a NUL or control character", "train", "--out", "runs\0x")]
    [InlineData("--checkpoint '': is empty", "score", "--checkpoint", "", "-a", "0")]
    [InlineData("--arch '': is empty", "score", "-c", "c", "--arch", "")]
    [InlineData("--node 'nohost': is not host:port", "status", "--node", "nohost")]
    [InlineData("--node '127.0.0.1:0': the port must be in [1, 65535]", "submit", "s.conf", "--node", "127.0.0.1:0")]
    [InlineData("--node 'x:y': is not host:port", "rank-study", "--node", "x:y")]
    // Outputs: checked where they will be written, before anything is measured or trained.
    [InlineData("--out '/proc/x.json': cannot be written: the folder '/proc' takes no new files", "latency-table", "--out", "/proc/x.json")]
    [InlineData("--out '/tmp': is a folder; give a file name", "latency-table", "--out", "/tmp")]
    [InlineData("--out '/etc/passwd': is a file; give a folder", "train", "--out", "/etc/passwd")]
    [InlineData("--out '/etc/passwd/study': '/etc/passwd' is a file, not a folder", "method-study", "--out", "/etc/passwd/study")]
    [InlineData("--markdown '/proc/1/b.md': cannot be written", "benchmark-methods", "--markdown", "/proc/1/b.md")]
    [InlineData("--out '/proc/q': cannot be written", "quickstart", "--out", "/proc/q")]
    [InlineData("is longer than 4096 bytes", "train", "--out", LongPath)]
    [InlineData("has a name longer than 255 bytes", "export", "s1", "--out", LongName)]
    [InlineData("has a name longer than 255 bytes", "node", "--config", LongName)]
    public void Bad_input_is_refused_with_exit_code_2_naming_the_option_and_the_value(string expected, params string[] args)
    {
        var (code, error) = Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("nas: ", error);
        Assert.Contains(expected, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Checking_an_output_path_leaves_nothing_behind_and_creates_no_folder()
    {
        var folder = Directory.CreateTempSubdirectory("nas-out-check-").FullName;
        try
        {
            var (code, error) = Run(["train", "--out", Path.Combine(folder, "a", "b"), "--steps", "1"]);
            Assert.True(code == ExitCodes.Ok, error);
            Assert.Empty(Directory.GetFileSystemEntries(folder));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
