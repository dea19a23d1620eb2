using System.Text.Json.Serialization;

namespace NasActors.Core.Ranking;

/// <summary>
/// The facts a ranking study records, one per line of its journal, as they happen. Replaying them rebuilds the study's
/// state, so an interrupted study continues without redoing what is recorded.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "event")]
[JsonDerivedType(typeof(StudyStarted), "study-started")]
[JsonDerivedType(typeof(StandaloneTrained), "standalone-trained")]
[JsonDerivedType(typeof(SupernetCheckpointed), "supernet-checkpointed")]
[JsonDerivedType(typeof(SupernetTrained), "supernet-trained")]
[JsonDerivedType(typeof(SupernetScored), "supernet-scored")]
public abstract record StudyEvent;

/// <summary>The study's settings (every one that changes a result) and the architectures it ranks.</summary>
public sealed record StudyStarted(IReadOnlyDictionary<string, string> Settings, IReadOnlyList<string> Architectures) : StudyEvent;

/// <summary>One architecture trained from scratch; accuracies are fractions in [0, 1].</summary>
public sealed record StandaloneTrained(string Architecture, double TestAccuracy, double TestLoss, double Seconds) : StudyEvent;

/// <summary>An intermediate supernet checkpoint, to resume an interrupted training from.</summary>
public sealed record SupernetCheckpointed(string Method, long Step, string Sha256, string File) : StudyEvent;

/// <summary>A supernet finished training.</summary>
public sealed record SupernetTrained(string Method, long Steps, string Sha256, string File, double Seconds) : StudyEvent;

/// <summary>One architecture scored with a supernet's inherited weights (after BatchNorm recalibration).</summary>
public sealed record SupernetScored(string Method, string Architecture, double Accuracy, double Loss, double Seconds) : StudyEvent;
