/**
 * Marks the end of a switch over a union that must handle every member: the compiler flags a
 * member without a case (its value is then not `never`). At run time an unknown value is ignored.
 */
export function exhaustive(_value: never): void {}
