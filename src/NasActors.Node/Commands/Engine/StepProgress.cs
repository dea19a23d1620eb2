using System.Diagnostics;
using Spectre.Console;

namespace NasActors.Node.Commands.Engine;

/// <summary>
/// Progress of long work (training steps, scored candidates): a live bar with loss, accuracy, images/s and time left
/// on an interactive terminal; a plain line every tenth of the work when the output is redirected; in JSON mode the
/// same plain lines on standard error (the JSON document stays the only standard output, and a log of a run that is
/// cut short still shows how far it got).
/// </summary>
public sealed class StepProgress
{
    private readonly bool _json;

    public StepProgress(bool json) => _json = json;

    /// <summary>Runs <paramref name="work"/>, which calls the reporter after each unit with a status text.</summary>
    public T Run<T>(string title, long total, Func<Action<long, string>, T> work)
    {
        if (_json) return RunPlain(title, total, work, Console.Error);
        if (!AnsiConsole.Profile.Capabilities.Interactive) return RunPlain(title, total, work, Console.Out);
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: total);
                result = work((done, status) =>
                {
                    task.Value = done;
                    task.Description = Markup.Escape($"{title} {done}/{total} {status}");
                });
                task.Value = total;
            });
        return result;
    }

    private static T RunPlain<T>(string title, long total, Func<Action<long, string>, T> work, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        var every = Math.Max(1, total / 10);
        return work((done, status) =>
        {
            if (done % every != 0 && done != total) return;
            var left = done == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds * (total - done) / done);
            output.WriteLine($"{title} {done}/{total} {status} elapsed {clock.Elapsed:mm\\:ss} left {left:mm\\:ss}");
        });
    }
}
