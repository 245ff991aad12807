namespace ApiPipeline;

/// <summary>
/// Maps a member of the previous step's record (or of the chain input, or of the record of any earlier step it descends from) onto a
/// member of a chain step's input
/// (the design's <c>input_mapping</c>). The generator checks every mapping at compile time: the source must exist, the target must be
/// a constructor parameter or settable member of the step's input type, and the value must convert without loss (same type, a widening
/// number conversion, <c>T</c> to <c>T?</c>, or a number, <see cref="Guid"/>, date or enum to <see cref="string"/>). Every required
/// member of the input must be mapped.
/// </summary>
/// <param name="source">The source member, e.g. <c>nameof(Repo.Name)</c>; a dotted path (<c>"Owner.Login"</c>) reads a nested member.</param>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = true)]
public sealed class MapAttribute(string source) : Attribute
{
    /// <summary>The source member (or dotted path).</summary>
    public string Source { get; } = source;

    /// <summary>The member of the step's input that receives the value. Defaults to the last segment of <see cref="Source"/>.</summary>
    public string? To { get; set; }

    /// <summary>Where <see cref="Source"/> is read. Default <see cref="MapFrom.PreviousStep"/>.</summary>
    public MapFrom From { get; set; }

    /// <summary>
    /// Reads <see cref="Source"/> from the record of an earlier step instead of the previous one: the step's name (its property name,
    /// e.g. <c>nameof(Repos)</c>, or its <see cref="StepAttribute.Name"/>). The value comes from the record of that step the current
    /// input descends from (its lineage), e.g. step 3 reads the repository (step 1) that the issue it gets (step 2) belongs to.
    /// No step between the two may be <see cref="BatchedAttribute"/>, and the mapping step itself may not be batched.
    /// </summary>
    public string? FromStep { get; set; }
}
