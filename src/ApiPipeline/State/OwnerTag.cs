using System.Security.Cryptography;
using System.Text;

namespace ApiPipeline;

/// <summary>
/// Who owns a run's temporary files, and the tag that names them. A folder or dead-letter file shared by several owners is cleaned
/// up by each for its own files only: another's may be a batch its state store recorded and only its own recovery puts in place.
/// </summary>
internal static class OwnerTag
{
    /// <summary>The tag's length: 16 hex digits.</summary>
    public const int Length = 16;

    /// <summary>
    /// The owner of the runs of pipeline <paramref name="id"/> whose batches the state store <paramref name="state"/> records
    /// (<see cref="IStateStore.Identity"/>; <see langword="null"/>: no state store). Runs of one id with another state store, or none,
    /// record other batches, so they are other owners; so is a chain of the same id, whose state is kept apart (<see cref="Chain"/>).
    /// </summary>
    public static string Pipeline(string id, string? state) => Owner("pipeline:" + id, state);

    /// <summary>The owner of the runs of chain run <paramref name="id"/> with the state store <paramref name="state"/>, as for <see cref="Pipeline"/>.</summary>
    public static string Chain(string id, string? state) => Owner("chain:" + id, state);

    /// <summary>The owner of the replays of a chain step's entries (<c>&lt;chain id&gt;/&lt;step&gt;</c>) into that step's own folder, with <paramref name="state"/>.</summary>
    public static string StepReplay(string entry, string? state) => Owner("replay:" + entry, state);

    private static string Owner(string id, string? state) => state is null ? id : id + "\n" + state;

    /// <summary>The first <see cref="Length"/> hex digits of the SHA-256 of <paramref name="owner"/>'s UTF-8 bytes.</summary>
    public static string Of(string owner) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(owner)))[..Length];
}
