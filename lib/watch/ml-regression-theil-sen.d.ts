// The package ships no types; this is the part lib/watch uses.
declare module 'ml-regression-theil-sen' {
  export class TheilSenRegression {
    constructor(x: readonly number[], y: readonly number[]);
    slope: number;
    intercept: number;
    predict(x: number): number;
  }
}
