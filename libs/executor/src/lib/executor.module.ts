import { Module } from '@nestjs/common';
import { ConfigurableModuleClass } from './executor.module-definition';
import { ExecutorService } from './executor.service';

@Module({ providers: [ExecutorService], exports: [ExecutorService] })
export class ExecutorModule extends ConfigurableModuleClass {}
